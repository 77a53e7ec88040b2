import { Controller, Get, Injectable, Module, Query } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InferenceClient } from '@huggingface/inference';
import request from 'supertest';
import {
  HfBudgetExceededError,
  HfStatsModule,
  HfStatsService,
  InjectInferenceClient,
  TrackHFCall,
  trackInferenceClient,
  type HfStatsModuleOptions,
} from 'nestjs-hf-stats';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { REPLY, REPLY_TOKENS, ROUTED_PROVIDER } from './fixtures/router/loopback-router.server.js';
import { trackedClientSuite } from './fixtures/router/tracked-client-suite.js';

const CHAT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const EMBEDDING_MODEL = 'BAAI/bge-small-en-v1.5';

interface Seen {
  operation: string | undefined;
  model: string | undefined;
}

/** Compiles an app with the given inferenceClient option. */
const compile = (inferenceClient: unknown) =>
  Test.createTestingModule({
    imports: [HfStatsModule.forRoot({ controller: false, log: false, inferenceClient: inferenceClient as never })],
  }).compile();

describe('trackInferenceClient: every task of the real @huggingface/inference client, tracked', () => {
  const suite = trackedClientSuite();

  const boot = async (options: HfStatsModuleOptions = {}) => {
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
    });
    const stats = moduleRef.get(HfStatsService);
    const seen: Seen[] = [];
    moduleRef.get(HfStatsRecorder).addListener({ onCall: ({ operation, model }) => seen.push({ operation, model }) });
    const client = trackInferenceClient(new InferenceClient('hf_test', { endpointUrl: suite.router.url }));
    return { stats, seen, client };
  };

  it('is the same type, keeps its token and options, and tracks a feature extraction as one call', async () => {
    const { stats, seen, client } = await boot();
    expect(client).toBeInstanceOf(InferenceClient);
    const vectors = await client.featureExtraction({ model: EMBEDDING_MODEL, inputs: ['one two', 'three'] });
    expect(vectors).toEqual([
      [7, 2, 0.5],
      [5, 1, 0.5],
    ]);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 1,
      textCount: 2,
      characterCount: 12,
      // TEI's x-compute-tokens: the tokens it embedded.
      inputTokens: 3,
      attemptCount: 1,
      statusCodes: { '200': 1 },
      computeTimeMs: 2,
      // The client's endpointUrl: a dedicated endpoint, as the decorator reads it.
      byProvider: { 'hf-endpoint': { callCount: 1 } },
    });
    expect(seen).toEqual([{ operation: 'feature-extraction', model: EMBEDDING_MODEL }]);
  });

  it('reads tokens from a chat completion and from the last chunk of its stream', async () => {
    const { stats, seen, client } = await boot();
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'say hello now' },
    ];
    const completion = await client.chatCompletion({ model: CHAT_MODEL, messages });
    expect(completion.choices[0].message.content).toBe(REPLY);
    let streamed = '';
    for await (const chunk of client.chatCompletionStream({ model: CHAT_MODEL, messages })) {
      streamed += chunk.choices[0]?.delta.content ?? '';
    }
    expect(streamed).toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      textCount: 4,
      characterCount: 2 * (8 + 13),
      inputTokens: 2 * 5,
      outputTokens: 2 * REPLY_TOKENS,
      tokensUnmeasuredCount: 0,
      attemptCount: 2,
      // The router's x-inference-provider wins over what the call named.
      byProvider: { [ROUTED_PROVIDER]: { callCount: 2 } },
    });
    expect(seen).toEqual([
      { operation: 'chat-completion', model: CHAT_MODEL },
      { operation: 'chat-completion', model: CHAT_MODEL },
    ]);
  });

  it("counts the client's silent 503 retries as attempts of one call, and errors by status", async () => {
    const { stats, client } = await boot();
    suite.router.failNext([{ status: 503 }, { status: 503 }]);
    await client.featureExtraction({ model: EMBEDDING_MODEL, inputs: 'one' });
    suite.router.failNext([{ status: 429 }]);
    const error = await client.featureExtraction({ model: EMBEDDING_MODEL, inputs: 'two' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      errorCount: 1,
      errors: { '429': 1 },
      attemptCount: 4,
      rateLimitedCount: 1,
      statusCodes: { '503': 2, '200': 1, '429': 1 },
    });
  });

  it('counts the texts of tasks whose inputs are not a plain text or list', async () => {
    const { stats, seen, client } = await boot();
    // The loopback answers the shape of a feature extraction; the client only checks that it is an array.
    await client
      .sentenceSimilarity({ model: EMBEDDING_MODEL, inputs: { source_sentence: 'a b', sentences: ['c', 'de'] } })
      .catch(() => undefined);
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 1, textCount: 3, characterCount: 6 });
    expect(seen[0]?.operation).toBe('sentence-similarity');
  });

  it('counts a call once inside a @TrackHFCall method: the tracked client joins the decorated call', async () => {
    @Injectable()
    class Summaries {
      readonly client = trackInferenceClient(new InferenceClient('hf_test', { endpointUrl: suite.router.url }));

      @TrackHFCall({ operation: 'summary' })
      async summarize(text: string): Promise<string> {
        const completion = await this.client.chatCompletion({
          model: CHAT_MODEL,
          messages: [{ role: 'user', content: text }],
        });
        return completion.choices[0].message.content ?? '';
      }
    }
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [Summaries],
    });
    const stats = moduleRef.get(HfStatsService);
    const seen: Seen[] = [];
    moduleRef.get(HfStatsRecorder).addListener({ onCall: ({ operation, model }) => seen.push({ operation, model }) });
    suite.router.failNext([{ status: 503 }]);
    await expect(moduleRef.get(Summaries).summarize('three short words')).resolves.toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 1,
      textCount: 1,
      attemptCount: 2,
      // The decorated method returns a string: the tokens come from the client's result it joined.
      inputTokens: 3,
      outputTokens: REPLY_TOKENS,
    });
    expect(seen).toEqual([{ operation: 'summary', model: undefined }]);
  });

  it('prices and budgets the calls of the tracked client as those of the decorator', async () => {
    const { stats, client } = await boot({
      pricing: [{ model: CHAT_MODEL, perInputToken: 0.001, perOutputToken: 0.002 }],
      budget: { maxCalls: 1, onExceed: 'throw' },
    });
    const messages = [{ role: 'user', content: 'one two' }];
    const before = suite.router.requests.length;
    await stats.runInSession('capped', async () => {
      await client.chatCompletion({ model: CHAT_MODEL, messages });
      await expect(client.chatCompletion({ model: CHAT_MODEL, messages })).rejects.toBeInstanceOf(
        HfBudgetExceededError,
      );
      const stream = client.chatCompletionStream({ model: CHAT_MODEL, messages });
      await expect(stream.next()).rejects.toBeInstanceOf(HfBudgetExceededError);
    });
    expect(suite.router.requests.length - before).toBe(1);
    expect(stats.getSessionStats('capped')).toMatchObject({
      callCount: 1,
      budgetRejectedCount: 2,
      estimatedCostUsd: 2 * 0.001 + REPLY_TOKENS * 0.002,
    });
  });

  it.each(ADAPTERS)(
    'HfStatsModule.forRoot({ inferenceClient }) provides a tracked client: a service needs only the injection (%s)',
    async (adapter) => {
      @Controller('chat')
      class ChatController {
        constructor(@InjectInferenceClient() private readonly hf: InferenceClient) {}

        @Get()
        async chat(@Query('q') q: string): Promise<string> {
          const completion = await this.hf.chatCompletion({
            model: CHAT_MODEL,
            messages: [{ role: 'user', content: q }],
          });
          return completion.choices[0].message.content ?? '';
        }
      }
      @Module({
        imports: [
          HfStatsModule.forRoot({ controller: false, log: false, inferenceClient: { endpointUrl: suite.router.url } }),
        ],
        controllers: [ChatController],
      })
      class ChatModule {}
      const app = suite.closeAfter(await createApp(ChatModule, adapter));
      const stats = app.get(HfStatsService);
      await request(app.getHttpServer()).get('/chat?q=hi%20there').set('x-session-id', 'web-1').expect(200, REPLY);
      await request(app.getHttpServer()).get('/chat?q=again').set('x-session-id', 'web-1').expect(200);
      expect(stats.getSessionStats('web-1')).toMatchObject({
        callCount: 2,
        textCount: 2,
        inputTokens: 3,
        outputTokens: 2 * REPLY_TOKENS,
        attemptCount: 2,
      });
    },
  );

  it('refuses a malformed inferenceClient option at startup, without showing a token', async () => {
    const refused = await compile('hf_secret_token').catch((error: unknown) => error);
    expect(String(refused)).toMatch(/"inferenceClient"/);
    expect(String(refused)).not.toContain('hf_secret');
    await expect(compile({ accessToken: 42 })).rejects.toThrow(/"inferenceClient\.accessToken"/);
    await expect(compile({ accessToken: 'hf_a', token: 'hf_b' })).rejects.toThrow(/"inferenceClient\.token"/);
  });

  it('forRootAsync: the inferenceClient option from a factory; without the option the injection is null', async () => {
    @Injectable()
    class Embeddings {
      constructor(@InjectInferenceClient() readonly hf: InferenceClient | null) {}
    }
    const moduleRef = await suite.start({
      imports: [
        HfStatsModule.forRootAsync({
          controller: false,
          useFactory: () => ({ log: false, inferenceClient: { endpointUrl: suite.router.url } }),
        }),
      ],
      providers: [Embeddings],
    });
    await moduleRef.get(Embeddings).hf?.featureExtraction({ inputs: 'one two' });
    expect(moduleRef.get(HfStatsService).getGlobalStats()).toMatchObject({ callCount: 1, inputTokens: 2 });
    await moduleRef.close();
    const without = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false })],
      providers: [Embeddings],
    });
    expect(without.get(Embeddings).hf).toBeNull();
  });
});
