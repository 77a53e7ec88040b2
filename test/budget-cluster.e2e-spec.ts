import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HfStatsModuleOptions, HfStatsStoreOptions } from 'nestjs-hf-stats';
import { OwnRedisCluster } from './fixtures/redis/own-redis-cluster.js';
import { startFixtureReplica, stopFixtureReplica, type FixtureReplica } from './fixtures/redis/spawn-fixture.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';
import { startScriptedHfServer, type ScriptedHfServer } from './fixtures/scripted-hf.server.js';

const enabled = await redisTestsEnabled('budget-cluster.e2e-spec');
const APP = new URL('./fixtures/budget/budget-replica.app.ts', import.meta.url);

type Replica = FixtureReplica;

function startReplica(options: HfStatsModuleOptions, hfUrl: string): Promise<Replica> {
  return startFixtureReplica(APP, [JSON.stringify(options), hfUrl]);
}

/** Four replicas; each sends 50 concurrent requests in one session; resolves to the statuses. */
async function fourReplicasFiftyEach(
  store: HfStatsStoreOptions,
  budget: HfStatsModuleOptions['budget'],
  hf: ScriptedHfServer,
  pricing?: HfStatsModuleOptions['pricing'],
): Promise<number[]> {
  const replicas = await Promise.all(
    Array.from({ length: 4 }, () => startReplica({ store, budget, ...(pricing && { pricing }) }, hf.url)),
  );
  try {
    const answers = await Promise.all(
      replicas.flatMap((replica) =>
        Array.from({ length: 50 }, () => request(replica.url).post('/ask').set('x-session-id', 'one')),
      ),
    );
    return answers.map((answer) => answer.status);
  } finally {
    await Promise.all(replicas.map(stopFixtureReplica));
  }
}

function counts(statuses: number[]): Record<number, number> {
  const result: Record<number, number> = {};
  for (const status of statuses) {
    result[status] = (result[status] ?? 0) + 1;
  }
  return result;
}

describe.runIf(enabled)('a session budget that holds for the whole cluster (four replicas, processes)', () => {
  let hf: ScriptedHfServer;
  const cluster = new OwnRedisCluster();
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    hf = await startScriptedHfServer();
    await cluster.start();
  }, 60_000);

  afterAll(async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    await hf.close();
    await cluster.stop();
  });

  const stores: Array<[string, () => HfStatsStoreOptions]> = [
    [
      'one Redis',
      () => {
        const keyPrefix = uniquePrefix();
        cleanups.push(() => deleteKeys(SHARED_REDIS_URL, keyPrefix));
        return { type: 'redis', url: SHARED_REDIS_URL, keyPrefix, flushIntervalMs: 60_000 };
      },
    ],
    [
      'a Redis Cluster of three masters',
      () => ({ type: 'redis', cluster: cluster.urls, keyPrefix: uniquePrefix(), flushIntervalMs: 60_000 }),
    ],
  ];

  it.each(stores)(
    'maxCalls 10 on %s: exactly 10 of 200 concurrent calls reach the HF server, 190 are answered 429',
    async (_, store) => {
      hf.script([{ status: 200, body: { choices: [] } }]);
      const before = hf.requestCount;
      const statuses = await fourReplicasFiftyEach(store(), { maxCalls: 10, onExceed: 'throw' }, hf);
      expect(counts(statuses)).toEqual({ 201: 10, 429: 190 });
      expect(hf.requestCount - before).toBe(10);
    },
    60_000,
  );

  it.each(stores)(
    'maxCostUsd 0.95 at $0.10 a call on %s: 10 calls ($1.00), over by one call at most, as in one process',
    async (_, store) => {
      hf.script([{ status: 200, body: { choices: [] } }]);
      const before = hf.requestCount;
      const statuses = await fourReplicasFiftyEach(store(), { maxCostUsd: 0.95, onExceed: 'throw' }, hf, [
        { model: 'm', perCall: 0.1 },
      ]);
      // Reserved in full at the start: the overshoot is the last admitted call's price beyond the limit ($0.05).
      expect(counts(statuses)).toEqual({ 201: 10, 429: 190 });
      expect(hf.requestCount - before).toBe(10);
    },
    60_000,
  );
});
