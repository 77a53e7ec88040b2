import type { INestApplication } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HfStatsService, type HfSessionEndReason, type HfSessionStats } from 'nestjs-hf-stats';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { startHfSimulator, type HfSimulator } from '../src/simulator/hf-simulator.js';
import { createApp } from './fixtures/create-app.js';
import { redisStoreApp } from './fixtures/redis/redis-store.app.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const enabled = await redisTestsEnabled('redis-cluster-end.e2e-spec');

describe.runIf(enabled)('endSession with the Redis store', () => {
  let simulator: HfSimulator;
  const apps: INestApplication[] = [];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    simulator = await startHfSimulator({ latencyMs: 0 });
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) {
      await app.close();
    }
  });
  afterAll(async () => {
    await simulator.close();
    await deleteKeys(SHARED_REDIS_URL, prefix);
  });

  it('ends for the cluster a session that only another replica served', async () => {
    const store = { type: 'redis', url: SHARED_REDIS_URL, keyPrefix: prefix, flushIntervalMs: 60_000 } as const;
    for (let i = 0; i < 2; i++) {
      apps.push(await createApp(redisStoreApp(store, simulator.url), 'express'));
    }
    const [a, b] = apps.map((app) => app.get(HfStatsService));
    const ends: Array<[HfSessionStats, HfSessionEndReason]> = [];
    for (const app of apps) {
      app.get(HfStatsRecorder).addListener({ onSessionEnd: (session, reason) => ends.push([session, reason]) });
    }
    a.record({ durationMs: 5, texts: 2, sessionId: 'served-by-a' });
    await a.flush();
    await b.flush();
    expect(b.getSessionStats('served-by-a')?.active).toBe(true);

    expect(b.endSession('served-by-a')).toBe(true);
    expect(b.getSessionStats('served-by-a')?.active).toBe(false);
    await b.flush();
    await a.flush();
    expect(ends.map(([session, reason]) => [session.sessionId, session.callCount, reason])).toEqual([
      ['served-by-a', 1, 'ended'],
    ]);
    expect(a.getSessionStats('served-by-a')?.active).toBe(false);
    expect(b.endSession('never-seen-anywhere')).toBe(false);
    expect(b.endSession('x'.repeat(100_000))).toBe(false);
  });
});
