import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  HfStatsService,
  type HfSessionEndReason,
  type HfSessionStats,
  type HfStatsStoreOptions,
} from 'nestjs-hf-stats';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { REDIS_APP_MODEL } from './fixtures/redis/redis-store.app.js';
import { redisStoreSuite } from './fixtures/redis/redis-store-suite.js';
import {
  deleteKeys,
  freePort,
  OwnRedisServer,
  redisTestsEnabled,
  SHARED_REDIS_URL,
  uniquePrefix,
} from './fixtures/redis/redis-support.js';

const enabled = await redisTestsEnabled('redis-store.e2e-spec');

describe('the memory store (default)', () => {
  const suite = redisStoreSuite();

  it('answers as before: no "partial" field', async () => {
    const app = await suite.start({ type: 'memory' });
    await request(app.getHttpServer()).post('/embed?texts=3').expect(201);
    const { body } = await request(app.getHttpServer()).get('/hf-stats').expect(200);
    expect(body.global).toMatchObject({ callCount: 1, textCount: 3 });
    expect(body).not.toHaveProperty('partial');
  });
});

describe.runIf(enabled)('the Redis store in a Nest app', () => {
  const suite = redisStoreSuite();
  const start = (store: HfStatsStoreOptions) => suite.start(store);

  function sharedPrefix(): string {
    const prefix = uniquePrefix();
    suite.cleanup(() => deleteKeys(SHARED_REDIS_URL, prefix));
    return prefix;
  }

  it('two instances in one process: figures of the real client reach Redis, and a session ended on both ends once', async () => {
    const store: HfStatsStoreOptions = {
      type: 'redis',
      url: SHARED_REDIS_URL,
      keyPrefix: sharedPrefix(),
      flushIntervalMs: 60_000,
    };
    const [a, b] = [await start(store), await start(store)];
    const ends: Array<[string, HfSessionStats, HfSessionEndReason]> = [];
    for (const [name, app] of [
      ['a', a],
      ['b', b],
    ] as const) {
      app.get(HfStatsRecorder).addListener({ onSessionEnd: (session, reason) => ends.push([name, session, reason]) });
    }
    await Promise.all([
      ...Array.from({ length: 6 }, () => request(a.getHttpServer()).post('/embed?texts=2').set('x-session-id', 'both')),
      ...Array.from({ length: 4 }, () => request(b.getHttpServer()).post('/embed?texts=5').set('x-session-id', 'both')),
      request(b.getHttpServer()).post('/embed?texts=1'),
    ]);
    const [statsA, statsB] = [a.get(HfStatsService), b.get(HfStatsService)];
    await statsA.flush();
    await statsB.flush();
    await statsA.flush();
    for (const app of [a, b]) {
      const { body } = await request(app.getHttpServer()).get('/hf-stats').expect(200);
      expect(body.partial).toBe(false);
      expect(body.global).toMatchObject({ callCount: 11, textCount: 33, errorCount: 0 });
      expect(body.global.byModel[REDIS_APP_MODEL].callCount).toBe(11);
      expect(body.global.attemptCount).toBe(11);
      expect(body.global.statusCodes).toEqual({ 200: 11 });
      const { body: session } = await request(app.getHttpServer()).get('/hf-stats/sessions/both').expect(200);
      expect(session).toMatchObject({ callCount: 10, textCount: 32, active: true });
    }

    // Both instances end it; the cluster ends it once, with the figures of both. (In one process the
    // decorator records through the last module started, so each instance opens the session itself here.)
    statsA.runInSession('both', () => undefined);
    statsB.runInSession('both', () => undefined);
    for (const app of [a, b]) {
      const { body: ended } = await request(app.getHttpServer()).post('/sessions/both/end').expect(201);
      expect(ended).toEqual({ ended: true });
    }
    await Promise.all([statsA.flush(), statsB.flush()]);
    expect(ends).toHaveLength(1);
    expect(ends[0][1]).toMatchObject({ sessionId: 'both', callCount: 10, textCount: 32, active: false });
    expect(ends[0][2]).toBe('ended');
  });

  it('Redis unreachable at startup: calls succeed, reads say partial, and the figures arrive once it is up', async () => {
    const server = new OwnRedisServer(await freePort());
    suite.cleanup(() => server.stop());
    const app = await start({
      type: 'redis',
      url: server.url,
      keyPrefix: uniquePrefix(),
      flushIntervalMs: 60_000,
      commandTimeoutMs: 200,
    });
    const stats = app.get(HfStatsService);
    for (let i = 0; i < 5; i++) {
      await request(app.getHttpServer()).post('/embed?texts=2').set('x-session-id', 'offline').expect(201);
    }
    await stats.flush();
    const { body: down } = await request(app.getHttpServer()).get('/hf-stats').expect(200);
    expect(down.partial).toBe(true);
    expect(down.global).toMatchObject({ callCount: 5, textCount: 10 });

    await server.start();
    let body = down;
    for (let attempt = 0; attempt < 50 && body.partial !== false; attempt++) {
      await stats.flush();
      ({ body } = await request(app.getHttpServer()).get('/hf-stats').expect(200));
      if (body.partial !== false) {
        // ioredis reconnects on its own backoff schedule (at most 2 s by default).
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(body.partial).toBe(false);
    expect(body.global).toMatchObject({ callCount: 5, textCount: 10 });
    expect(body.sessions.find((s: HfSessionStats) => s.sessionId === 'offline')?.callCount).toBe(5);
  });
});
