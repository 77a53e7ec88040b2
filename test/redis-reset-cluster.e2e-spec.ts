import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { HfStatsService, type HfStatsStoreOptions } from 'nestjs-hf-stats';
import { redisStoreSuite } from './fixtures/redis/redis-store-suite.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const enabled = await redisTestsEnabled('redis-reset-cluster.e2e-spec');

async function globalCalls(app: INestApplication): Promise<number> {
  const { body } = await request(app.getHttpServer()).get('/hf-stats').expect(200);
  return body.global.callCount as number;
}

describe('HfStatsService.reset({ cluster: true })', () => {
  const suite = redisStoreSuite();
  const start = (store: HfStatsStoreOptions) => suite.start(store);

  it('with the memory store: clears this process (the cluster is this process), and reset(sessionId) still works', async () => {
    const app = await start({ type: 'memory' });
    await request(app.getHttpServer()).post('/embed?texts=2').set('x-session-id', 's').expect(201);
    await request(app.getHttpServer()).post('/embed?texts=2').set('x-session-id', 's').expect(201);
    const stats = app.get(HfStatsService);
    stats.reset('s');
    expect(stats.getSessionStats('s')?.callCount).toBe(0);
    expect(await globalCalls(app)).toBe(2);
    await expect(stats.reset({ cluster: true })).resolves.toBeUndefined();
    expect(await globalCalls(app)).toBe(0);
  });

  it.runIf(enabled)(
    "with Redis: plain reset() keeps the cluster's figures; reset({ cluster: true }) clears them for every replica",
    async () => {
      const prefix = uniquePrefix();
      suite.cleanup(() => deleteKeys(SHARED_REDIS_URL, prefix));
      const store: HfStatsStoreOptions = {
        type: 'redis',
        url: SHARED_REDIS_URL,
        keyPrefix: prefix,
        flushIntervalMs: 60_000,
      };
      const [a, b] = [await start(store), await start(store)];
      const [statsA, statsB] = [a.get(HfStatsService), b.get(HfStatsService)];
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          request((i % 2 === 0 ? a : b).getHttpServer())
            .post('/embed?texts=1')
            .set('x-session-id', `s${i}`),
        ),
      );
      await Promise.all([statsA.flush(), statsB.flush()]);
      await statsA.flush();
      expect(await globalCalls(a)).toBe(5);

      // This process only: what Redis holds stays, and comes back at the next flush.
      statsA.reset();
      await statsA.flush();
      expect(await globalCalls(a)).toBe(5);

      await statsA.reset({ cluster: true });
      await statsB.flush();
      expect(await globalCalls(a)).toBe(0);
      expect(await globalCalls(b)).toBe(0);
      const { body } = await request(b.getHttpServer()).get('/hf-stats/sessions?limit=100').expect(200);
      expect(body.sessions).toHaveLength(0);
      await request(b.getHttpServer()).get('/hf-stats/sessions/s1').expect(404);

      // Counting goes on from zero, on every replica.
      await request(b.getHttpServer()).post('/embed?texts=1').expect(201);
      await Promise.all([statsA.flush(), statsB.flush()]);
      await statsA.flush();
      expect(await globalCalls(a)).toBe(1);
      expect(await globalCalls(b)).toBe(1);
    },
  );
});
