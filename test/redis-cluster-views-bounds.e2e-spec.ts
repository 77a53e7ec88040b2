import { Controller, Module, Post, Query, type INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { HfStatsModule, HfStatsService, type HfStatsStoreOptions, type HfTimeline } from 'nestjs-hf-stats';
import { createApp } from './fixtures/create-app.js';
import {
  deleteKeys,
  freePort,
  OwnRedisServer,
  redisTestsEnabled,
  SHARED_REDIS_URL,
  uniquePrefix,
} from './fixtures/redis/redis-support.js';

const enabled = await redisTestsEnabled('redis-cluster-views-bounds.e2e-spec');

/** An app that records calls as asked: `n` calls of `model`, `ms` each, or one call per model of `models`. */
function viewsApp(store: HfStatsStoreOptions, maxModels = 50): new () => object {
  @Controller()
  class WorkController {
    constructor(private readonly stats: HfStatsService) {}

    @Post('work')
    work(@Query('n') n = '1', @Query('ms') ms = '10', @Query('model') model = 'model-a'): { recorded: number } {
      for (let i = 0; i < Number(n); i++) {
        // Each call 5 % longer than the one before: a histogram bucket of its own.
        this.stats.record({ durationMs: Number(ms) * 1.05 ** i, texts: 1, model });
      }
      return { recorded: Number(n) };
    }
  }
  @Module({ imports: [HfStatsModule.forRoot({ log: false, maxModels, store })], controllers: [WorkController] })
  class ViewsModule {}
  return ViewsModule;
}

function calls(timeline: HfTimeline): number {
  return timeline.global.reduce((sum, point) => sum + point.callCount, 0);
}

describe.runIf(enabled)('the cluster views: bounds, reset and Redis away', () => {
  const apps: INestApplication[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) {
      await app.close();
    }
    for (const cleanup of cleanups.splice(0).toReversed()) {
      await cleanup();
    }
  });

  async function start(store: HfStatsStoreOptions, maxModels?: number): Promise<INestApplication> {
    const app = await createApp(viewsApp(store, maxModels), 'express');
    apps.push(app);
    return app;
  }

  function sharedStore(): HfStatsStoreOptions {
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(SHARED_REDIS_URL, prefix));
    return { type: 'redis', url: SHARED_REDIS_URL, keyPrefix: prefix, flushIntervalMs: 60_000 };
  }

  it('keeps maxModels names per minute for the whole cluster, and a batch of many calls to Redis stays exact', async () => {
    const store = sharedStore();
    const [a, b] = [await start(store, 4), await start(store, 4)];
    // 3 models on each replica, 6 in all: Redis keeps 4 names per minute, the other calls under "other". 100 calls
    // of distinct durations per model: 100 histogram buckets each, so each replica writes a batch of two script calls.
    for (const [app, models] of [
      [a, ['m0', 'm1', 'm2']],
      [b, ['m3', 'm4', 'm5']],
    ] as const) {
      for (const model of models) {
        await request(app.getHttpServer())
          .post(`/work?n=100&ms=${model.charCodeAt(1) * 10}&model=${model}`)
          .expect(201);
      }
    }
    await Promise.all([a.get(HfStatsService).flush(), b.get(HfStatsService).flush()]);
    const answers: HfTimeline[] = [];
    for (const app of [a, b]) {
      answers.push((await request(app.getHttpServer()).get('/hf-stats/timeline?minutes=3').expect(200)).body);
    }
    expect(calls(answers[0])).toBe(600);
    expect(answers[0].partial).toBe(false);
    const names = Object.keys(answers[0].byModel);
    expect(names).toHaveLength(5);
    expect(names).toContain('other');
    const byModel = Object.values(answers[0].byModel).map((points) => points.reduce((s, p) => s + p.callCount, 0));
    expect(byModel.reduce((sum, n) => sum + n, 0)).toBe(600);
    expect({ ...answers[1], to: '' }).toEqual({ ...answers[0], to: '' });
  });

  it('reset({ cluster: true }) clears the timeline Redis holds', async () => {
    const store = sharedStore();
    const [a, b] = [await start(store), await start(store)];
    await request(a.getHttpServer()).post('/work?n=7').expect(201);
    await a.get(HfStatsService).flush();
    expect(calls((await request(b.getHttpServer()).get('/hf-stats/timeline?minutes=3').expect(200)).body)).toBe(7);
    await a.get(HfStatsService).reset({ cluster: true });
    expect(calls((await request(b.getHttpServer()).get('/hf-stats/timeline?minutes=3').expect(200)).body)).toBe(0);
    const admin = new Redis(SHARED_REDIS_URL);
    try {
      const [, keys] = await admin.scan(
        '0',
        'MATCH',
        `${(store as { keyPrefix: string }).keyPrefix}tl:*`,
        'COUNT',
        1000,
      );
      expect(keys).toEqual([]);
    } finally {
      admin.disconnect();
    }
  });

  it("Redis away: the routes answer this replica's own figures with partial: true, never an error", async () => {
    const server = new OwnRedisServer(await freePort());
    await server.start();
    cleanups.push(() => server.stop());
    const store: HfStatsStoreOptions = {
      type: 'redis',
      url: server.url,
      keyPrefix: uniquePrefix(),
      flushIntervalMs: 60_000,
      commandTimeoutMs: 300,
    };
    const [a, b] = [await start(store), await start(store)];
    await request(a.getHttpServer()).post('/work?n=3').set('x-session-id', 'served-by-a').expect(201);
    await request(b.getHttpServer()).post('/work?n=2').set('x-session-id', 'served-by-b').expect(201);
    await Promise.all([a.get(HfStatsService).flush(), b.get(HfStatsService).flush()]);
    const live = await request(a.getHttpServer()).get('/hf-stats/sessions/served-by-b').expect(200);
    expect(live.body).toMatchObject({ callCount: 2 });
    expect(live.body.partial).toBeUndefined();

    await server.stop();
    await request(a.getHttpServer()).post('/work?n=4').set('x-session-id', 'served-by-a').expect(201);
    const page = await request(a.getHttpServer()).get('/hf-stats/sessions').expect(200);
    expect(page.body.partial).toBe(true);
    expect(page.body.sessions.find((s: { sessionId: string }) => s.sessionId === 'served-by-a')?.callCount).toBe(7);
    const session = await request(a.getHttpServer()).get('/hf-stats/sessions/served-by-a').expect(200);
    expect(session.body).toMatchObject({ callCount: 7, partial: true });
    const snapshot = await request(a.getHttpServer()).get('/hf-stats').expect(200);
    expect(snapshot.body.partial).toBe(true);
    const timeline = (await request(a.getHttpServer()).get('/hf-stats/timeline?minutes=3').expect(200)).body;
    expect(timeline.partial).toBe(true);
    // This replica's own calls: the 3 written before and the 4 since.
    expect(calls(timeline)).toBe(7);
  });
});
