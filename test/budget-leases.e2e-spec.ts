import type { INestApplication } from '@nestjs/common';
import { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  HfBudgetExceededError,
  HfStatsService,
  HfStatsStore,
  type HfStatsModuleOptions,
  type HfStatsStoreOptions,
} from 'nestjs-hf-stats';
import { BudgetedHfClient, clusterBudgetModule } from './fixtures/budget/cluster-budget.module.js';
import { ADAPTERS, createApp, type AdapterName } from './fixtures/create-app.js';
import { spawnFixture } from './fixtures/redis/spawn-fixture.js';
import {
  deleteKeys,
  freePort,
  OwnRedisServer,
  redisTestsEnabled,
  SHARED_REDIS_URL,
  uniquePrefix,
} from './fixtures/redis/redis-support.js';

const enabled = await redisTestsEnabled('budget-leases.e2e-spec');

/** One tracked call in `sessionId`: true when it ran, false when the budget refused it. */
async function ask(app: INestApplication, sessionId: string): Promise<boolean> {
  const stats = app.get(HfStatsService);
  const client = app.get(BudgetedHfClient);
  try {
    await stats.runInSession(sessionId, () => client.ask());
    return true;
  } catch (error) {
    if (error instanceof HfBudgetExceededError) {
      return false;
    }
    throw error;
  }
}

function leaseCalls(app: INestApplication): number {
  return app.get<HfStatsStore>(HfStatsStore, { strict: false }).budgetLeases?.leaseCallCount ?? -1;
}

/** One subscription to the Observable method in session `o`: true when it emitted, false when refused. */
async function subscribe(app: INestApplication): Promise<boolean> {
  const client = app.get(BudgetedHfClient);
  try {
    await app.get(HfStatsService).runInSession('o', () => firstValueFrom(client.askObservable()));
    return true;
  } catch (error) {
    if (error instanceof HfBudgetExceededError) {
      return false;
    }
    throw error;
  }
}

/** Stops the app's own Redis and waits until the store has seen it go. */
async function stopRedis(app: INestApplication, redis: OwnRedisServer): Promise<void> {
  await redis.stop();
  const leases = app.get<HfStatsStore>(HfStatsStore, { strict: false }).budgetLeases;
  await vi.waitFor(() => expect(leases?.reachable).toBe(false));
}

/**
 * Moves the end of every lease held in `sessionId`'s budget to Redis's clock's now, as 30 s without a lease call of
 * their replicas would: leases end on Redis's clock, which a test can't fake. Returns how many it ended.
 */
async function endLeasesOnRedisClock(prefix: string, sessionId: string): Promise<number> {
  const redis = new Redis(SHARED_REDIS_URL);
  try {
    const key = `${prefix}budget:${sessionId}`;
    // Bulk strings at run time, whatever the typings say.
    const [seconds, micros] = (await redis.time()).map(String);
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    let ended = 0;
    for (const [name, value] of Object.entries(await redis.hgetall(key))) {
      if (name.startsWith('r:')) {
        const [calls, texts, nanoUsd] = value.split(' ');
        await redis.hset(key, name, `${calls} ${texts} ${nanoUsd} ${now}`);
        ended += 1;
      }
    }
    return ended;
  } finally {
    await redis.quit();
  }
}

/** $0.10 a call reserved at its start, plus 50 input tokens at $0.001 known at its end: $0.15 a call. */
function costOptions(store: HfStatsStoreOptions): HfStatsModuleOptions {
  return {
    store,
    budget: { maxCostUsd: 1, onExceed: 'throw' },
    pricing: [{ model: 'm', perCall: 0.1, perInputToken: 0.001 }],
  };
}

describe.runIf(enabled)('cluster-wide budgets: leases, round trips, cost, Redis down, a dead replica', () => {
  const apps: INestApplication[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    vi.useRealTimers();
    for (const app of apps.splice(0)) {
      await app.close();
    }
    for (const cleanup of cleanups.splice(0).toReversed()) {
      await cleanup();
    }
  });

  function sharedStore(): HfStatsStoreOptions {
    const keyPrefix = uniquePrefix();
    cleanups.push(() => deleteKeys(SHARED_REDIS_URL, keyPrefix));
    return { type: 'redis', url: SHARED_REDIS_URL, keyPrefix, flushIntervalMs: 60_000 };
  }

  async function start(options: HfStatsModuleOptions, adapter: AdapterName = 'express'): Promise<INestApplication> {
    const app = await createApp(clusterBudgetModule(options), adapter);
    apps.push(app);
    return app;
  }

  it('maxCalls 1000: 1,000 calls take 11 lease calls (halving slices), the 1,001st is refused by the 12th', async () => {
    const app = await start({ store: sharedStore(), budget: { maxCalls: 1000, onExceed: 'throw' } });
    let admitted = 0;
    for (let i = 0; i < 1000; i += 1) {
      admitted += (await ask(app, 's')) ? 1 : 0;
    }
    expect(admitted).toBe(1000);
    // Slices of 500, 250, 125, 62, 31, 16, 8, 4, 2, 1, 1: floor(left / 2) with one replica holding a lease.
    expect(leaseCalls(app)).toBe(11);
    expect(await ask(app, 's')).toBe(false);
    expect(leaseCalls(app)).toBe(12);
  });

  it('a large budget: 1,000 calls, 100 at a time, take one lease call', async () => {
    const app = await start({ store: sharedStore(), budget: { maxCalls: 1_000_000, onExceed: 'throw' } });
    for (let batch = 0; batch < 10; batch += 1) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => ask(app, 's')));
      expect(answers.every(Boolean)).toBe(true);
    }
    expect(leaseCalls(app)).toBe(1);
  });

  it('maxTexts 10 over two replicas, 25 concurrent one-text calls each: exactly 10 go through', async () => {
    const store = sharedStore();
    const budget = { maxTexts: 10, onExceed: 'throw' } as const;
    const [a, b] = [await start({ store, budget }), await start({ store, budget })];
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => ask(i % 2 === 0 ? a : b, 't')));
    expect(answers.filter(Boolean)).toHaveLength(10);
  });

  it('maxCalls 10 over two replicas, 25 concurrent subscriptions each to a method typed Observable: exactly 10', async () => {
    const store = sharedStore();
    const budget = { maxCalls: 10, onExceed: 'throw' } as const;
    const [a, b] = [await start({ store, budget }), await start({ store, budget })];
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => subscribe(i % 2 === 0 ? a : b)));
    expect(answers.filter(Boolean)).toHaveLength(10);
  });

  it('a cost priced at the end (tokens): two replicas admit what one process admits, over by the same amount', async () => {
    const alone = await start(costOptions({ type: 'memory' }));
    let admittedAlone = 0;
    for (let i = 0; i < 20; i += 1) {
      admittedAlone += (await ask(alone, 'c')) ? 1 : 0;
    }
    const store = sharedStore();
    const replicas = [await start(costOptions(store)), await start(costOptions(store))];
    let admitted = 0;
    for (let i = 0; i < 20; i += 1) {
      admitted += (await ask(replicas[i % 2], 'c')) ? 1 : 0;
    }
    // $0.90 spent before the 7th call, which is let through: $1.05, $0.05 over, below the bound (its price, $0.15).
    expect(admittedAlone).toBe(7);
    expect(admitted).toBe(7);
    const costs = replicas.map((app) => app.get(HfStatsService).getSessionStats('c')?.estimatedCostUsd ?? 0);
    expect(costs[0] + costs[1]).toBeCloseTo(1.05, 9);
  });

  /** An app on a Redis of its own, that the test stops: its first call leases 2 of the session's 4 calls. */
  async function startWithOwnRedis(
    onStoreDown: 'allow' | 'refuse',
    adapter: AdapterName = 'express',
  ): Promise<{ http: () => request.Test; redis: OwnRedisServer; app: INestApplication }> {
    const redis = new OwnRedisServer(await freePort());
    await redis.start();
    cleanups.push(() => redis.stop());
    const app = await start(
      {
        store: { type: 'redis', url: redis.url, keyPrefix: 'down:', flushIntervalMs: 60_000, commandTimeoutMs: 500 },
        budget: { maxCalls: 4, onExceed: 'throw', onStoreDown },
      },
      adapter,
    );
    return { app, redis, http: () => request(app.getHttpServer()).post('/ask').set('x-session-id', 'd') };
  }

  it.each(ADAPTERS)(
    "Redis stopped, onStoreDown 'refuse' (%s): the lease in hand is spent, then calls are refused (429 storeDown)",
    async (adapter) => {
      const { app, redis, http } = await startWithOwnRedis('refuse', adapter);
      await http().expect(201);
      await stopRedis(app, redis);
      await http().expect(201);
      const refused = await http().expect(429);
      expect(refused.body).toMatchObject({ statusCode: 429, limit: 'storeDown' });
    },
  );

  it("Redis stopped, onStoreDown 'allow': the lease in hand is spent, then calls go on", async () => {
    const { app, redis, http } = await startWithOwnRedis('allow');
    await http().expect(201);
    await stopRedis(app, redis);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await http()).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201]);
  });

  it('a sync method is refused once a lease call found the budget spent', async () => {
    const app = await start({ store: sharedStore(), budget: { maxCalls: 2, onExceed: 'throw' } });
    expect([await ask(app, 'y'), await ask(app, 'y'), await ask(app, 'y')]).toEqual([true, true, false]);
    const stats = app.get(HfStatsService);
    const client = app.get(BudgetedHfClient);
    expect(() => stats.runInSession('y', () => client.askSync())).toThrow(HfBudgetExceededError);
  });

  it('a lease goes back at the session end and at shutdown: the other replica then spends it', async () => {
    const store = sharedStore();
    const budget = { maxCalls: 10, onExceed: 'throw' } as const;
    const [a, b] = [await start({ store, budget }), await start({ store, budget })];
    // a leases 5 of the 10 calls of each session, and spends 1.
    expect(await ask(a, 'ended')).toBe(true);
    expect(await ask(a, 'shut')).toBe(true);
    expect(leaseCalls(a)).toBe(2);
    a.get(HfStatsService).endSession('ended');
    // The give-back is sent in the background; a flush on the same connection is answered after it.
    await vi.waitFor(() => expect(leaseCalls(a)).toBe(3));
    await a.get(HfStatsService).flush();
    const ended = await Promise.all(Array.from({ length: 12 }, () => ask(b, 'ended')));
    expect(ended.filter(Boolean)).toHaveLength(9);
    await a.close();
    apps.splice(apps.indexOf(a), 1);
    const shut = await Promise.all(Array.from({ length: 12 }, () => ask(b, 'shut')));
    expect(shut.filter(Boolean)).toHaveLength(9);
  });

  it('a lease not used for 5 s goes back (fake clock and sweep timer): the other replica then spends it', async () => {
    const store = sharedStore();
    const budget = { maxCalls: 10, onExceed: 'throw' } as const;
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
    const [a, b] = [await start({ store, budget }), await start({ store, budget })];
    expect(await ask(a, 'idle')).toBe(true);
    expect(leaseCalls(a)).toBe(1);
    vi.advanceTimersByTime(5_000);
    await vi.waitFor(() => expect(leaseCalls(a)).toBe(2));
    await a.get(HfStatsService).flush();
    const answers = await Promise.all(Array.from({ length: 12 }, () => ask(b, 'idle')));
    expect(answers.filter(Boolean)).toHaveLength(9);
  });

  it('reset({ cluster: true }) deletes every budget and lease: the sessions start from zero', async () => {
    const store = sharedStore();
    const app = await start({ store, budget: { maxCalls: 2, onExceed: 'throw' } });
    expect([await ask(app, 'r'), await ask(app, 'r'), await ask(app, 'r')]).toEqual([true, true, false]);
    const redis = new Redis(SHARED_REDIS_URL);
    cleanups.push(async () => void (await redis.quit()));
    const budgetKeys = async () => (await redis.keys(`${store.type === 'redis' ? store.keyPrefix : ''}budget*`)).length;
    expect(await budgetKeys()).toBe(2);
    await app.get(HfStatsService).reset({ cluster: true });
    expect(await budgetKeys()).toBe(0);
    expect([await ask(app, 'r'), await ask(app, 'r'), await ask(app, 'r')]).toEqual([true, true, false]);
  });

  it("a dead replica's lease comes back once it ends (30 s on Redis's clock)", async () => {
    const store = sharedStore();
    const budget = { maxCalls: 10, onExceed: 'throw' } as const;
    const child = spawnFixture(new URL('./fixtures/budget/budget-replica.app.ts', import.meta.url), [
      JSON.stringify({ store, budget }),
    ]);
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /\{"port":(\d+)\}/.exec(output);
        if (match !== null) {
          resolve(`http://127.0.0.1:${match[1]}`);
        }
      });
      child.on('exit', (code) => reject(new Error(`replica exited with ${code}`)));
    });
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
      }
    });
    // The replica leases 5 of the 10 calls (half of what is left), spends one, and dies without giving them back.
    await request(url).post('/ask').set('x-session-id', 'x').expect(201);
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
    const app = await start({ store, budget });
    const admittedNow = await Promise.all(Array.from({ length: 8 }, () => ask(app, 'x')));
    expect(admittedNow.filter(Boolean)).toHaveLength(5);
    // The living replica's last lease call was refused: the only lease out is the dead replica's.
    expect(await endLeasesOnRedisClock(store.type === 'redis' ? (store.keyPrefix ?? '') : '', 'x')).toBe(1);
    const admittedLater = await Promise.all(Array.from({ length: 8 }, () => ask(app, 'x')));
    // The dead lease's 5 came back; the one call it spent was never reported, so it is not counted.
    expect(admittedLater.filter(Boolean)).toHaveLength(5);
  });
});
