import { Injectable, Logger, Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { InferenceClient } from '@huggingface/inference';
import {
  createHfStatsFetch,
  HfBudgetExceededError,
  HfStatsModule,
  HfStatsService,
  TrackHFCall,
  type HfStatsModuleOptions,
} from 'nestjs-hf-stats';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { startScriptedHfServer, type ScriptedHfServer } from './fixtures/scripted-hf.server.js';

const EMBEDDING_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
const CHAT_MODEL = 'chat-model-1';

type ChatCompletionInputMessage = Parameters<InferenceClient['chatCompletion']>[0]['messages'][number];

/** Calls the real @huggingface/inference client with a tracked fetch, as the README shows. */
@Injectable()
class TrackedHfClient {
  readonly embeddings: InferenceClient;
  readonly chat: InferenceClient;

  constructor(
    readonly embeddingsUrl: string,
    readonly chatUrl: string,
  ) {
    const fetch = createHfStatsFetch();
    this.embeddings = new InferenceClient(undefined, { endpointUrl: embeddingsUrl, fetch });
    this.chat = new InferenceClient(undefined, { endpointUrl: chatUrl, fetch });
  }

  @TrackHFCall({ operation: 'feature-extraction', model: EMBEDDING_MODEL })
  embed(inputs: string[]): Promise<unknown> {
    return this.embeddings.featureExtraction({ inputs });
  }

  @TrackHFCall({ operation: 'feature-extraction', model: 'unpriced/model' })
  embedUnpriced(inputs: string[]): Promise<unknown> {
    return this.embeddings.featureExtraction({ inputs });
  }

  @TrackHFCall({ operation: 'chat-completion' })
  complete(request: { model: string; messages: ChatCompletionInputMessage[] }): Promise<unknown> {
    return this.chat.chatCompletion(request);
  }

  @TrackHFCall({ operation: 'chat-completion' })
  stream(request: { model: string; messages: ChatCompletionInputMessage[] }): AsyncGenerator {
    return this.chat.chatCompletionStream(request);
  }
}

describe('usage: tokens, attempts, compute headers, cost and budgets through the real client', () => {
  let scripted: ScriptedHfServer;
  let simulator: HfSimulator;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    scripted = await startScriptedHfServer();
    simulator = await startHfSimulator({ latencyMs: 0 });
  });

  afterAll(async () => {
    await scripted.close();
    await simulator.close();
  });

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    vi.restoreAllMocks();
  });

  const boot = async (
    options: HfStatsModuleOptions = {},
  ): Promise<{ client: TrackedHfClient; stats: HfStatsService }> => {
    @Module({
      imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
      providers: [{ provide: TrackedHfClient, useFactory: () => new TrackedHfClient(scripted.url, simulator.url) }],
    })
    class UsageModule {}

    moduleRef = await Test.createTestingModule({ imports: [UsageModule] }).compile();
    await moduleRef.init();
    return { client: moduleRef.get(TrackedHfClient), stats: moduleRef.get(HfStatsService) };
  };

  it("makes the client's silent 503 retries visible as attempts of one call", async () => {
    const { client, stats } = await boot();
    scripted.script([
      { status: 503, headers: { 'x-request-id': 'first' } },
      { status: 503 },
      { status: 200, headers: { 'x-request-id': 'last' }, body: [[0.1, 0.2]] },
    ]);
    await expect(client.embed(['a'])).resolves.toEqual([[0.1, 0.2]]);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 1,
      errorCount: 0,
      attemptCount: 3,
      statusCodes: { '503': 2, '200': 1 },
      rateLimitedCount: 0,
    });
  });

  it('counts a 429 with Retry-After as a rate-limited attempt and a failed call of type "429"', async () => {
    const { client, stats } = await boot();
    scripted.script([{ status: 429, headers: { 'retry-after': '2' }, body: { error: 'rate limited' } }]);
    await expect(client.embed(['a'])).rejects.toThrow(/rate limited/);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 1,
      errorCount: 1,
      errors: { '429': 1 },
      attemptCount: 1,
      rateLimitedCount: 1,
      statusCodes: { '429': 1 },
    });
  });

  it('reads compute time in seconds (serverless API, TGI) and in milliseconds (TEI), and counts bad values', async () => {
    const { client, stats } = await boot();
    scripted.script([
      { status: 200, headers: { 'x-compute-time': '0.532', 'x-compute-characters': '1' }, body: [[0]] },
    ]);
    await client.embed(['a']);
    scripted.script([
      {
        status: 200,
        headers: { 'x-compute-time': '12', 'x-compute-tokens': '9', 'x-tokenization-time': '2' },
        body: [[0]],
      },
    ]);
    await client.embed(['b']);
    scripted.script([{ status: 200, headers: { 'x-compute-time': 'soon', 'x-queue-time': '-1' }, body: [[0]] }]);
    await client.embed(['c']);
    expect(stats.getGlobalStats()).toMatchObject({
      callCount: 3,
      computeTimeMs: 544,
      invalidHeaderCount: 2,
      // TEI's x-compute-tokens are the embedded tokens; the other two calls measured none.
      inputTokens: 9,
      tokensUnmeasuredCount: 2,
    });
  });

  it('records tokens from the usage of a chat completion and of the final chunk of a stream', async () => {
    const { client, stats } = await boot();
    const messages: ChatCompletionInputMessage[] = [{ role: 'user', content: 'Say hello to the test suite' }];
    const completion = (await client.complete({ model: CHAT_MODEL, messages })) as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    let streamed: { prompt_tokens: number; completion_tokens: number } | undefined;
    for await (const chunk of client.stream({ model: CHAT_MODEL, messages })) {
      streamed = (chunk as { usage?: typeof streamed }).usage ?? streamed;
    }
    expect(streamed).toBeDefined();
    const global = stats.getGlobalStats();
    expect(global).toMatchObject({
      callCount: 2,
      inputTokens: completion.usage.prompt_tokens + streamed!.prompt_tokens,
      outputTokens: completion.usage.completion_tokens + streamed!.completion_tokens,
      tokensUnmeasuredCount: 0,
    });
    expect(global.byModel[CHAT_MODEL].callCount).toBe(2);
  });

  it('counts an attempt outside any tracked call without changing it', async () => {
    const { client, stats } = await boot();
    scripted.script([{ status: 200, body: [[0.5]] }]);
    await expect(client.embeddings.featureExtraction({ inputs: 'untracked' })).resolves.toEqual([[0.5]]);
    expect(stats.getSnapshot()).toMatchObject({ untrackedAttemptCount: 1, global: { callCount: 0, attemptCount: 0 } });
  });

  it('estimates cost exactly from price rules, per model, and never prices an unmatched call at $0', async () => {
    const { client, stats } = await boot({
      pricing: [
        { model: 'sentence-transformers/*', perText: 0.000001, perComputeSecond: 0.0012 },
        { model: 'chat-*', perCall: 0.00001, perInputToken: 0.0000002, perOutputToken: 0.0000006 },
      ],
    });
    scripted.script([{ status: 200, headers: { 'x-compute-time': '0.25' }, body: [[0], [0], [0]] }]);
    await client.embed(['a', 'b', 'c']);
    await client.embedUnpriced(['a']);
    const messages: ChatCompletionInputMessage[] = [{ role: 'user', content: 'one two three four' }];
    const completion = (await client.complete({ model: CHAT_MODEL, messages })) as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };

    const embeddingNano = 3 * 1000 + Math.round(0.25 * 0.0012 * 1e9);
    const chatNano =
      10_000 + Math.round(completion.usage.prompt_tokens * 200) + Math.round(completion.usage.completion_tokens * 600);
    const global = stats.getGlobalStats();
    expect(global.unpricedCallCount).toBe(1);
    expect(global.estimatedCostUsd).toBe((embeddingNano + chatNano) / 1e9);
    expect(global.byModel[EMBEDDING_MODEL].estimatedCostUsd).toBe(embeddingNano / 1e9);
    expect(global.byModel['unpriced/model']).toMatchObject({ estimatedCostUsd: null, unpricedCallCount: 1 });
  });

  it('budget "throw": refuses the next call of a session over budget before any request is sent', async () => {
    const { client, stats } = await boot({ budget: { maxCalls: 2, onExceed: 'throw' } });
    scripted.script([{ status: 200, body: [[0]] }]);
    const before = scripted.requestCount;
    await stats.runInSession('capped', async () => {
      await client.embed(['a']);
      await client.embed(['b']);
      const refused = await client.embed(['c']).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(HfBudgetExceededError);
      expect(refused).toMatchObject({ sessionId: 'capped', limit: 'maxCalls', limitValue: 2, usedValue: 2 });
    });
    expect(scripted.requestCount - before).toBe(2);
    // Outside the session, nothing is capped.
    await client.embed(['d']);
    expect(stats.getSessionStats('capped')).toMatchObject({ callCount: 2, budgetRejectedCount: 1 });
    expect(stats.getGlobalStats()).toMatchObject({ callCount: 3, budgetRejectedCount: 1 });
  });

  it('budget "warn": warns once per session and lets calls through', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const { client, stats } = await boot({ budget: { maxTexts: 1, onExceed: 'warn' } });
    scripted.script([{ status: 200, body: [[0]] }]);
    await stats.runInSession('chatty', async () => {
      for (let i = 0; i < 4; i += 1) {
        await client.embed(['a']);
      }
    });
    expect(stats.getSessionStats('chatty')?.callCount).toBe(4);
    const budgetWarnings = warn.mock.calls.filter(([message]) => String(message).includes('budget'));
    expect(budgetWarnings).toHaveLength(1);
  });

  it.each<[string, HfStatsModuleOptions, RegExp]>([
    ['a negative price', { pricing: [{ model: 'x/*', perCall: -1 }] }, /"pricing\[0\]" \(model "x\/\*"\): "perCall"/],
    ['an unknown price field', { pricing: [{ model: 'x', perToken: 1 } as never] }, /"pricing\[0\]".*perToken/],
    ['a budget without onExceed', { budget: { maxCalls: 1 } as never }, /"budget.onExceed"/],
    ['a negative budget', { budget: { maxCostUsd: -2, onExceed: 'warn' } }, /"budget.maxCostUsd"/],
    ['maxModels 0', { maxModels: 0 }, /"maxModels"/],
  ])('refuses %s at startup with an error naming it', async (_case, options, message) => {
    await expect(boot(options)).rejects.toThrow(message);
  });
});
