import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HfStatsService, type HfSessionStats, type HfStatsSnapshot } from 'nestjs-hf-stats';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';

// The example app as a user runs it, over real HTTP, with the real @huggingface/inference client
// talking to the simulator through HF_ENDPOINT_URL. No mocks.

const HF_ENV = ['HF_TOKEN', 'HF_ENDPOINT_URL', 'HF_EMBEDDING_MODEL', 'HF_CHAT_MODEL'] as const;

interface EmbeddingsBody {
  model: string;
  dimensions: number;
  embeddings: number[][];
}

describe('example app (embeddings and chat on the Hugging Face simulator)', () => {
  const savedEnv = new Map(HF_ENV.map((name) => [name, process.env[name]]));
  let simulator: HfSimulator;
  let app: INestApplication;
  let requestsBefore = 0;

  const http = () => request(app.getHttpServer());
  const stats = async (): Promise<HfStatsSnapshot> => (await http().get('/hf-stats').expect(200)).body;

  beforeAll(async () => {
    simulator = await startHfSimulator({ latencyMs: 0 });
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
    const { usage } = chat.body as { usage: { promptTokens: number; completionTokens: number; totalTokens: number } };
    expect(usage.promptTokens).toBeGreaterThan(0);
    expect(usage.totalTokens).toBe(usage.promptTokens + usage.completionTokens);
    expect(simulator.requestCount - requestsBefore).toBe(3);
  });

  it('counts every call exactly, per session and globally', async () => {
    const post = (path: string, sessionId: string | undefined, body: object, status: number) => {
      const pending = http().post(path);
      return (sessionId === undefined ? pending : pending.set('x-session-id', sessionId)).send(body).expect(status);
    };
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
    expect(snapshot.global.callCount).toBe(0);
    expect(snapshot.sessions).toEqual([]);
    expect(simulator.requestCount - requestsBefore).toBe(0);
  });
});
