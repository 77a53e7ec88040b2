import { Controller, Get, Module, Query } from '@nestjs/common';
import request from 'supertest';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, embed, embedMany, generateText, streamText, wrapLanguageModel } from 'ai';
import {
  createHfStatsFetch,
  HfBudgetExceededError,
  HfStatsModule,
  HfStatsService,
  hfStatsMiddleware,
  TrackHFCall,
  trackEmbeddingModel,
  type HfStatsModuleOptions,
} from 'nestjs-hf-stats';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { describe, expect, it } from 'vitest';
import { ADAPTERS, createApp } from './fixtures/create-app.js';
import { REPLY, REPLY_TOKENS, ROUTED_PROVIDER } from './fixtures/router/loopback-router.server.js';
import { trackedClientSuite } from './fixtures/router/tracked-client-suite.js';

const CHAT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const EMBEDDING_MODEL = 'BAAI/bge-small-en-v1.5';

describe('the AI SDK on the router: hfStatsMiddleware and trackEmbeddingModel', () => {
  const suite = trackedClientSuite();

  const provider = () =>
    createOpenAICompatible({
      name: 'hf-router',
      baseURL: `${suite.router.url}/v1`,
      apiKey: 'hf_test',
      includeUsage: true,
      fetch: createHfStatsFetch(),
    });

  const boot = async (options: HfStatsModuleOptions = {}) => {
    const moduleRef = await suite.start({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
    });
    const operations: Array<string | undefined> = [];
    moduleRef.get(HfStatsRecorder).addListener({ onCall: ({ operation }) => operations.push(operation) });
    const hf = provider();
    return {
      stats: moduleRef.get(HfStatsService),
      operations,
      model: wrapLanguageModel({ model: hf(CHAT_MODEL), middleware: hfStatsMiddleware() }),
      embedder: trackEmbeddingModel(hf.embeddingModel(EMBEDDING_MODEL)),
    };
  };

  it('generateText and streamText: one call each, texts from the prompt, tokens from the AI SDK usage', async () => {
    const { stats, operations, model } = await boot({ pricing: [{ model: CHAT_MODEL, perInputToken: 0.001 }] });
    const generated = await generateText({ model, system: 'be brief', prompt: 'say hello now' });
    expect(generated.text).toBe(REPLY);
    const streamed = streamText({ model, system: 'be brief', prompt: 'say hello now' });
    expect(await streamed.text).toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      textCount: 4,
      characterCount: 2 * 21,
      inputTokens: 2 * 5,
      outputTokens: 2 * REPLY_TOKENS,
      tokensUnmeasuredCount: 0,
      attemptCount: 2,
      byModel: { [CHAT_MODEL]: { callCount: 2 } },
      byProvider: { [ROUTED_PROVIDER]: { callCount: 2 } },
    });
    expect(operations).toEqual(['chat-completion', 'chat-completion']);
    expect(stats.getGlobalStats().estimatedCostUsd).toBeCloseTo(10 * 0.001, 12);
  });

  it('embed and embedMany: texts from the values, tokens from usage.tokens', async () => {
    const { stats, operations, embedder } = await boot();
    const one = await embed({ model: embedder, value: 'one two' });
    expect(one.embedding).toEqual([7, 2, 0.5]);
    const many = await embedMany({ model: embedder, values: ['three', 'four five six'] });
    expect(many.embeddings).toHaveLength(2);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      textCount: 3,
      characterCount: 7 + 5 + 13,
      inputTokens: 2 + 4,
      attemptCount: 2,
      byModel: { [EMBEDDING_MODEL]: { callCount: 2 } },
    });
    expect(operations).toEqual(['feature-extraction', 'feature-extraction']);
  });

  it('errors by status (the AI SDK retries disabled), a budget refusal, and once inside a decorated method', async () => {
    const { stats, model } = await boot({ budget: { maxCalls: 1, onExceed: 'throw' } });
    suite.router.failNext([{ status: 401 }]);
    await expect(generateText({ model, prompt: 'x', maxRetries: 0 })).rejects.toBeInstanceOf(APICallError);
    await stats.runInSession('capped', async () => {
      await generateText({ model, prompt: 'one' });
      await expect(generateText({ model, prompt: 'two', maxRetries: 0 })).rejects.toBeInstanceOf(HfBudgetExceededError);
    });
    class Writer {
      @TrackHFCall({ operation: 'write' })
      async write(prompt: string): Promise<string> {
        return (await generateText({ model, prompt })).text;
      }
    }
    await expect(new Writer().write('three four')).resolves.toBe(REPLY);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 3,
      errorCount: 1,
      errors: { '401': 1 },
      budgetRejectedCount: 1,
      attemptCount: 3,
      inputTokens: 1 + 2,
    });
    expect(stats.getSessionStats('capped')).toMatchObject({ callCount: 1, budgetRejectedCount: 1 });
  });

  it("the AI SDK's own retries run the model again: each is one call, the failed one under its status", async () => {
    const { stats, model } = await boot();
    suite.router.failNext([{ status: 500 }]);
    await expect(generateText({ model, prompt: 'one two' })).resolves.toMatchObject({ text: REPLY });
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 2,
      errorCount: 1,
      errors: { '500': 1 },
      attemptCount: 2,
      statusCodes: { '500': 1, '200': 1 },
    });
  });

  describe.each(ADAPTERS)('sessions from x-session-id over real HTTP (%s)', (adapter) => {
    it('counts a streamText of a request in its session', async () => {
      const model = wrapLanguageModel({ model: provider()(CHAT_MODEL), middleware: hfStatsMiddleware() });
      @Controller('write')
      class WriteController {
        @Get()
        write(@Query('q') q: string): PromiseLike<string> {
          return streamText({ model, prompt: q }).text;
        }
      }
      @Module({
        imports: [HfStatsModule.forRoot({ controller: false, log: false })],
        controllers: [WriteController],
      })
      class WriteModule {}
      const app = suite.closeAfter(await createApp(WriteModule, adapter));
      await request(app.getHttpServer())
        .get('/write?q=one%20two%20three')
        .set('x-session-id', 'ai-1')
        .expect(200, REPLY);
      expect(app.get(HfStatsService).getSessionStats('ai-1')).toMatchObject({
        callCount: 1,
        textCount: 1,
        inputTokens: 3,
        outputTokens: REPLY_TOKENS,
      });
    });
  });
});
