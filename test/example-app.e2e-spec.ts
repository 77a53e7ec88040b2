import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HfStatsService, type HfSessionStats, type HfStatsSnapshot } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { EXAMPLE_CHAT_PRICE, EXAMPLE_EMBEDDING_PRICE } from '../src/hf/hf-pricing.js';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { autoProviderOf } from '../src/simulator/simulated-router.js';

// The example app as a user runs it, over real HTTP, with the real @huggingface/inference client
// talking to the simulator through HF_ENDPOINT_URL. No mocks.

const HF_ENV = [
  'HF_TOKEN',
  'HF_ENDPOINT_URL',
  'HF_EMBEDDING_MODEL',
  'HF_CHAT_MODEL',
  'HF_STATS_BUDGET_MAX_CALLS',
] as const;
const EMBEDDING_MODEL = 'sentence-transformers/all-MiniLM-L6-v2';
const CHAT_MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
/** Fixed, so that every answer reports the same compute time: `x-compute-time: 0.010`. */
const LATENCY_MS = 10;

interface EmbeddingsBody {
  model: string;
  dimensions: number;
  embeddings: number[][];
}

interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

const NANO_PER_USD = 1e9;
/** One priced part of one call in nano-dollars, rounded as the library rounds it, so that costs compare exactly. */
const nanoUsd = (units: number, priceUsd: number) => Math.round(units * priceUsd * NANO_PER_USD);
/** A chat call at the example prices, from the tokens its answer reports. */
const chatCostNanoUsd = (usage: ChatUsage) =>
  nanoUsd(usage.promptTokens, EXAMPLE_CHAT_PRICE.perInputToken) +
  nanoUsd(usage.completionTokens, EXAMPLE_CHAT_PRICE.perOutputToken);
/** Compute time of a chat call: the simulator's latency times that of the provider it routes the model to. */
function chatComputeMs(): number {
  return Math.round(LATENCY_MS * autoProviderOf(CHAT_MODEL).latencyFactor);
}

/** An embeddings call at the example prices: LATENCY_MS of compute, whatever its texts. */
const EMBEDDING_COST_NANO_USD = nanoUsd(LATENCY_MS / 1000, EXAMPLE_EMBEDDING_PRICE.perComputeSecond);

describe('example app (embeddings and chat on the Hugging Face simulator)', () => {
  const savedEnv = new Map(HF_ENV.map((name) => [name, process.env[name]]));
  let simulator: HfSimulator;
  let app: INestApplication;
  let requestsBefore = 0;

  const http = () => request(app.getHttpServer());
  const stats = async (): Promise<HfStatsSnapshot> => (await http().get('/hf-stats').expect(200)).body;
  const post = (path: string, sessionId: string | undefined, body: object, status: number) => {
    const pending = http().post(path);
    return (sessionId === undefined ? pending : pending.set('x-session-id', sessionId)).send(body).expect(status);
  };

  beforeAll(async () => {
    simulator = await startHfSimulator({ latencyMs: LATENCY_MS });
    for (const name of HF_ENV) {
      delete process.env[name];
    }
    // Read by the client provider when the module is compiled.
    process.env.HF_ENDPOINT_URL = simulator.url;
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await simulator?.close();
    for (const [name, value] of savedEnv) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  });

  beforeEach(() => {
    app.get(HfStatsService).reset();
    requestsBefore = simulator.requestCount;
  });

  it('answers embeddings and chat from the simulator through the real client', async () => {
    const embedded = await http()
      .post('/embeddings')
      .send({ texts: ['a cat on a mat', 'a dog in the fog'] })
      .expect(200);
    const body = embedded.body as EmbeddingsBody;
    expect(body).toMatchObject({ model: 'sentence-transformers/all-MiniLM-L6-v2', dimensions: 384 });
    expect(body.embeddings).toHaveLength(2);
    expect(body.embeddings.every((vector) => vector.length === 384)).toBe(true);

    // Deterministic: the same text gives the same vector, in either body shape.
    const again = await http().post('/embeddings').send({ inputs: 'a cat on a mat' }).expect(200);
    expect((again.body as EmbeddingsBody).embeddings).toEqual([body.embeddings[0]]);

    const chat = await http()
      .post('/chat')
      .send({
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'What is an embedding?' },
        ],
      })
      .expect(200);
    expect(chat.body).toMatchObject({
      model: 'meta-llama/Llama-3.1-8B-Instruct',
      message: { role: 'assistant', content: expect.any(String) },
      finishReason: 'stop',
    });
    const { usage } = chat.body as { usage: ChatUsage };
    expect(usage.promptTokens).toBeGreaterThan(0);
    expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
    expect(simulator.requestCount - requestsBefore).toBe(3);
    expect((await stats()).global).toMatchObject({
      callCount: 3,
      attemptCount: 3,
      inputTokens: usage.promptTokens,
      outputTokens: usage.completionTokens,
    });
  });

  it('counts every call exactly, per session and globally', async () => {
    const responses = await Promise.all([
      // alpha: 3 calls, 3 + 2 + 1 texts, no error.
      post('/embeddings', 'alpha', { texts: ['one', 'two', 'three'] }, 200),
      post(
        '/chat',
        'alpha',
        {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hello' },
          ],
        },
        200,
      ),
      post('/embeddings', 'alpha', { inputs: 'single' }, 200),
      // beta: 3 calls, 2 + 1 + 1 texts, 2 errors: the simulator fails on the markers.
      post('/embeddings', 'beta', { texts: ['four', 'five'] }, 200),
      post('/chat', 'beta', { messages: [{ role: 'user', content: 'Break [fail:500]' }] }, 502),
      post('/embeddings', 'beta', { texts: ['[fail:503] six'] }, 503),
      // No session: counted globally only.
      post('/embeddings', undefined, { texts: ['seven'] }, 200),
    ]);

    expect(responses[4].body).toMatchObject({ statusCode: 502, upstreamStatus: 500, requestId: expect.any(String) });
    expect(responses[5].body).toMatchObject({ statusCode: 503, upstreamStatus: 503 });

    const snapshot = await stats();
    expect(snapshot.global).toMatchObject({ callCount: 7, textCount: 11, errorCount: 2 });
    expect(snapshot.sessions).toHaveLength(2);
    const byId = new Map(snapshot.sessions.map((session) => [session.sessionId, session]));
    expect(byId.get('alpha')).toMatchObject({ active: true, callCount: 3, textCount: 6, errorCount: 0 });
    expect(byId.get('beta')).toMatchObject({ active: true, callCount: 3, textCount: 4, errorCount: 2 });
    expect(snapshot).toMatchObject({ rejectedSessionIdCount: 0, sessionOverflowCount: 0, internalErrorCount: 0 });

    const { global } = snapshot;
    expect(global.minTimeMs).not.toBeNull();
    expect(global.minTimeMs ?? 0).toBeLessThanOrEqual(global.avgTimeMs ?? 0);
    expect(global.avgTimeMs ?? 0).toBeLessThanOrEqual(global.maxTimeMs ?? 0);

    const alpha = (await http().get('/hf-stats/sessions/alpha').expect(200)).body as HfSessionStats;
    expect(alpha).toMatchObject({ sessionId: 'alpha', active: true, callCount: 3, textCount: 6, errorCount: 0 });
    const beta = (await http().get('/hf-stats/sessions/beta').expect(200)).body as HfSessionStats;
    expect(beta).toMatchObject({ sessionId: 'beta', callCount: 3, textCount: 4, errorCount: 2 });
    await http().get('/hf-stats/sessions/gamma').expect(404);

    // One upstream request per call: the 503 was not retried.
    expect(simulator.requestCount - requestsBefore).toBe(7);
  });

  it('counts tokens, attempts, compute time and cost exactly, per session, per model and globally', async () => {
    const [, alphaChat] = await Promise.all([
      // alpha: 2 embeddings calls, 1 chat; 3 + 3 + 5 + 6 + 9 + 5 characters.
      post('/embeddings', 'alpha', { texts: ['one', 'two', 'three'] }, 200),
      post(
        '/chat',
        'alpha',
        {
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hello' },
          ],
        },
        200,
      ),
      post('/embeddings', 'alpha', { inputs: 'single' }, 200),
      // beta: a failed chat (no usage: unmeasured tokens, unpriced) and a failed embeddings call
      // (its compute time is reported, so it is priced); 4 + 4 + 16 + 14 characters.
      post('/embeddings', 'beta', { texts: ['four', 'five'] }, 200),
      post('/chat', 'beta', { messages: [{ role: 'user', content: 'Break [fail:500]' }] }, 502),
      post('/embeddings', 'beta', { texts: ['[fail:503] six'] }, 503),
      // No session: 5 characters, counted globally only.
      post('/embeddings', undefined, { texts: ['seven'] }, 200),
    ]);
    const usage = (alphaChat.body as { usage: ChatUsage }).usage;
    expect(usage.promptTokens).toBeGreaterThan(0);
    expect(usage.completionTokens).toBeGreaterThan(0);
    const chatCost = chatCostNanoUsd(usage);

    const { global, sessions, untrackedAttemptCount } = await stats();
    // Every request the simulator got was one attempt of a tracked call.
    expect(simulator.requestCount - requestsBefore).toBe(7);
    expect(untrackedAttemptCount).toBe(0);
    expect(global).toMatchObject({
      callCount: 7,
      characterCount: 74,
      errors: { '500': 1, '503': 1 },
      inputTokens: usage.promptTokens,
      outputTokens: usage.completionTokens,
      // The 5 embeddings calls (the simulator reports no tokens for them) and the failed chat.
      tokensUnmeasuredCount: 6,
      attemptCount: 7,
      rateLimitedCount: 0,
      statusCodes: { '200': 5, '500': 1, '503': 1 },
      computeTimeMs: 5 * LATENCY_MS + 2 * chatComputeMs(),
      invalidHeaderCount: 0,
      estimatedCostUsd: (5 * EMBEDDING_COST_NANO_USD + chatCost) / NANO_PER_USD,
      unpricedCallCount: 1,
      budgetRejectedCount: 0,
    });
    expect(Object.keys(global.byModel).toSorted()).toEqual([CHAT_MODEL, EMBEDDING_MODEL]);
    expect(global.byModel[CHAT_MODEL]).toMatchObject({
      callCount: 2,
      textCount: 3,
      errorCount: 1,
      inputTokens: usage.promptTokens,
      outputTokens: usage.completionTokens,
      tokensUnmeasuredCount: 1,
      attemptCount: 2,
      statusCodes: { '200': 1, '500': 1 },
      estimatedCostUsd: chatCost / NANO_PER_USD,
      unpricedCallCount: 1,
    });
    expect(global.byModel[EMBEDDING_MODEL]).toMatchObject({
      callCount: 5,
      textCount: 8,
      errorCount: 1,
      inputTokens: 0,
      outputTokens: 0,
      tokensUnmeasuredCount: 5,
      attemptCount: 5,
      computeTimeMs: 5 * LATENCY_MS,
      estimatedCostUsd: (5 * EMBEDDING_COST_NANO_USD) / NANO_PER_USD,
      unpricedCallCount: 0,
    });
    for (const scope of [global, global.byModel[CHAT_MODEL], global.byModel[EMBEDDING_MODEL]]) {
      expect(scope.p50TimeMs).not.toBeNull();
      expect(scope.p50TimeMs ?? 0).toBeLessThanOrEqual(scope.p95TimeMs ?? 0);
      expect(scope.p95TimeMs ?? 0).toBeLessThanOrEqual(scope.p99TimeMs ?? 0);
    }

    const byId = new Map(sessions.map((session) => [session.sessionId, session]));
    expect(byId.get('alpha')).toMatchObject({
      callCount: 3,
      characterCount: 31,
      errors: {},
      inputTokens: usage.promptTokens,
      outputTokens: usage.completionTokens,
      tokensUnmeasuredCount: 2,
      attemptCount: 3,
      statusCodes: { '200': 3 },
      computeTimeMs: 2 * LATENCY_MS + chatComputeMs(),
      estimatedCostUsd: (2 * EMBEDDING_COST_NANO_USD + chatCost) / NANO_PER_USD,
      unpricedCallCount: 0,
    });
    expect(byId.get('beta')).toMatchObject({
      callCount: 3,
      characterCount: 38,
      errors: { '500': 1, '503': 1 },
      inputTokens: 0,
      outputTokens: 0,
      tokensUnmeasuredCount: 3,
      attemptCount: 3,
      statusCodes: { '200': 1, '500': 1, '503': 1 },
      computeTimeMs: 2 * LATENCY_MS + chatComputeMs(),
      estimatedCostUsd: (2 * EMBEDDING_COST_NANO_USD) / NANO_PER_USD,
      unpricedCallCount: 1,
    });
  });

  it('prices a known chat call from the example price table', async () => {
    const chat = await http()
      .post('/chat')
      .set('x-session-id', 'priced')
      .send({ messages: [{ role: 'user', content: 'How much does this answer cost?' }], max_tokens: 16 })
      .expect(200);
    const usage = (chat.body as { usage: ChatUsage }).usage;
    // The simulator's estimate: 6 words make 8 tokens, plus 3 for the message; the answer is cut at max_tokens.
    expect(usage).toEqual({ promptTokens: 11, completionTokens: 16, totalTokens: 27 });

    const session = (await http().get('/hf-stats/sessions/priced').expect(200)).body as HfSessionStats;
    // 11 tokens at $0.20 and 16 at $0.60 per million: $0.0000022 + $0.0000096.
    expect(EXAMPLE_CHAT_PRICE).toMatchObject({ perInputToken: 0.2 / 1_000_000, perOutputToken: 0.6 / 1_000_000 });
    expect(session).toMatchObject({
      callCount: 1,
      inputTokens: 11,
      outputTokens: 16,
      attemptCount: 1,
      estimatedCostUsd: 0.000_011_8,
      unpricedCallCount: 0,
    });
    expect(session.byModel[CHAT_MODEL]?.estimatedCostUsd).toBe(0.000_011_8);
    expect((await stats()).global.estimatedCostUsd).toBe(0.000_011_8);
  });

  it('answers 400 with a JSON message to a bad body, without calling Hugging Face', async () => {
    const badEmbeddings: unknown[] = [
      {},
      { texts: [] },
      { texts: 'not an array' },
      { texts: ['ok', 3] },
      { texts: ['ok', '   '] },
      { texts: ['a'], inputs: 'b' },
      [],
    ];
    for (const body of badEmbeddings) {
      const response = await http()
        .post('/embeddings')
        .set('x-session-id', 'alpha')
        .send(body as object)
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^Invalid body: /) });
    }
    const badChats: unknown[] = [
      {},
      { messages: 'hi' },
      { messages: [] },
      { messages: [{ role: 'robot', content: 'hi' }] },
      { messages: [{ role: 'user', content: 42 }] },
      { messages: [{ role: 'system', content: 'only a system prompt' }] },
      { messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 },
    ];
    for (const body of badChats) {
      const response = await http()
        .post('/chat')
        .send(body as object)
        .expect(400);
      expect(response.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/^Invalid body: /) });
    }
    const malformed = await http()
      .post('/embeddings')
      .set('content-type', 'application/json')
      .send('{"texts": [')
      .expect(400);
    expect(malformed.body).toMatchObject({ statusCode: 400, message: expect.any(String) });

    const snapshot = await stats();
    expect(snapshot.global).toMatchObject({ callCount: 0, attemptCount: 0, estimatedCostUsd: null });
    expect(snapshot.untrackedAttemptCount).toBe(0);
    expect(snapshot.sessions).toEqual([]);
    expect(simulator.requestCount - requestsBefore).toBe(0);
  });
});
