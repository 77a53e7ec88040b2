import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OwnRedisCluster } from '../../../../test/fixtures/redis/own-redis-cluster.js';
import { redisTestsEnabled, uniquePrefix } from '../../../../test/fixtures/redis/redis-support.js';
import { flushUntilWhole } from '../../../../test/fixtures/redis/store-harness.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import { createHfRedisStore } from './create-hf-stats-store.js';
import type { HfRedisStore } from './hf-redis-store.js';
import { resolveHfStatsStoreOptions, type HfRedisStoreSettings } from './hf-stats-store.options.js';

const enabled = await redisTestsEnabled('HfRedisStore on Redis Cluster');
const LIMITS = { maxModels: 50, maxSessions: 1000, sessionIdleTimeoutMs: 0 };

function call(index: number, sessionId: string | undefined): HfCallRecord {
  return {
    sessionId,
    model: index % 2 === 0 ? 'model-a' : 'model-b',
    operation: 'featureExtraction',
    textCount: 1,
    characterCount: index,
    durationMs: 5,
    ok: true,
    errorType: undefined,
    endedAt: Date.now(),
    inputTokens: 1,
    outputTokens: 2,
    computeTimeMs: undefined,
    attempts: undefined,
    costNanoUsd: undefined,
  };
}

/** Records `count` calls on each store in steps, flushing all of them concurrently between steps. */
async function recordConcurrently(stores: HfRedisStore[], count: number, sessionId: string): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    stores.forEach((store) => store.record(call(i, sessionId)));
    if (i % 10 === 9) {
      await Promise.all(stores.map((store) => store.flush()));
    }
  }
}

describe.runIf(enabled)('HfRedisStore against a real Redis Cluster of three masters', () => {
  const cluster = new OwnRedisCluster();
  const cleanups: Array<() => Promise<void>> = [];
  beforeAll(() => cluster.start(), 30_000);
  afterAll(() => cluster.stop());
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).toReversed()) {
      await cleanup();
    }
  });

  async function replica(prefix: string, options: Record<string, unknown>): Promise<HfRedisStore> {
    const settings = resolveHfStatsStoreOptions({ type: 'redis', keyPrefix: prefix, ...options });
    const store = await createHfRedisStore(settings as HfRedisStoreSettings, LIMITS);
    store.start(() => undefined);
    cleanups.push(() => store.close());
    return store;
  }

  it('two replicas (store.cluster and an app Cluster client) give exact totals, each script call in one slot', async () => {
    const prefix = uniquePrefix();
    const client = cluster.client();
    cleanups.push(async () => client.disconnect());
    const a = await replica(prefix, { cluster: cluster.urls });
    const b = await replica(prefix, { client });
    await recordConcurrently([a, b], 60, 'session-1');
    await flushUntilWhole(a, b);
    await Promise.all([a.flush(), b.flush()]);
    for (const store of [a, b]) {
      expect(store.partial).toBe(false);
      expect(store.globalStats().callCount).toBe(120);
      expect(store.sessionStats('session-1')?.callCount).toBe(120);
    }
    // Every key sits under the prefix's hash tag, so on the master of one slot.
    expect(await client.exists(`{${prefix}}global`, `{${prefix}}session:session-1`)).toBe(2);
    expect(await client.exists(`${prefix}global`)).toBe(0);
  }, 30_000);

  it('a master restarted empty mid-run: the replicas restore their figures, totals exact afterwards', async () => {
    const prefix = uniquePrefix();
    const a = await replica(prefix, { cluster: cluster.urls, commandTimeoutMs: 500 });
    const b = await replica(prefix, { cluster: cluster.urls, commandTimeoutMs: 500 });
    await recordConcurrently([a, b], 30, 'session-2');
    await flushUntilWhole(a, b);
    const port = await cluster.masterOf(`{${prefix}}global`);
    await cluster.stopNode(port);
    await recordConcurrently([a, b], 20, 'session-2');
    await cluster.restartNode(port);
    await recordConcurrently([a, b], 10, 'session-2');
    await flushUntilWhole(a, b);
    await Promise.all([a.flush(), b.flush()]);
    for (const store of [a, b]) {
      expect(store.partial).toBe(false);
      expect(store.globalStats().callCount).toBe(120);
      expect(store.sessionStats('session-2')?.callCount).toBe(120);
      expect(store.lostCallCount).toBe(0);
    }
  }, 60_000);

  it("resetShared() clears the cluster's figures for every replica", async () => {
    const prefix = uniquePrefix();
    const a = await replica(prefix, { cluster: cluster.urls });
    const b = await replica(prefix, { cluster: cluster.urls });
    await recordConcurrently([a, b], 30, 'session-3');
    await flushUntilWhole(a, b);
    expect(b.globalStats().callCount).toBe(60);
    await a.resetShared();
    await Promise.all([a.flush(), b.flush()]);
    expect(a.globalStats().callCount).toBe(0);
    expect(b.globalStats().callCount).toBe(0);
    const client = cluster.client();
    cleanups.push(async () => client.disconnect());
    expect(await client.exists(`{${prefix}}session:session-3`, `{${prefix}}sessions`)).toBe(0);
    expect(await client.hget(`{${prefix}}global`, 't|callCount')).toBeNull();
    expect(b.sessionStats('session-3')).toBeUndefined();
    b.record(call(1, 'session-4'));
    await flushUntilWhole(a, b);
    await a.flush();
    expect(a.globalStats().callCount).toBe(1);

    // Redis loses its data after the reset: the replicas restore what they wrote since, not what was reset.
    const port = await cluster.masterOf(`{${prefix}}global`);
    await cluster.stopNode(port);
    await cluster.restartNode(port);
    await flushUntilWhole(a, b);
    await Promise.all([a.flush(), b.flush()]);
    for (const store of [a, b]) {
      expect(store.globalStats().callCount).toBe(1);
      expect(store.sessionStats('session-3')).toBeUndefined();
      expect(store.sessionStats('session-4')?.callCount).toBe(1);
      expect(store.lostCallCount).toBe(0);
    }

    // A loss is not a reset: what the replicas wrote is still theirs to restore at the next loss.
    a.record(call(2, 'session-4'));
    await flushUntilWhole(a, b);
    await cluster.stopNode(port);
    await cluster.restartNode(port);
    await flushUntilWhole(a, b);
    await Promise.all([a.flush(), b.flush()]);
    for (const store of [a, b]) {
      expect(store.globalStats().callCount).toBe(2);
      expect(store.sessionStats('session-4')?.callCount).toBe(2);
    }
  }, 60_000);
});
