import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisTestsEnabled } from '../../../../test/fixtures/redis/redis-support.js';
import { StoreHarness } from '../../../../test/fixtures/redis/store-harness.js';
import type { HfRedisClient } from './hf-stats-store.options.js';
import { evalCached, ReadyGate, withinTimeout } from './redis-eval.js';

const enabled = await redisTestsEnabled('redis-eval');

/** EVALSHA and EVAL calls the server has answered, from INFO commandstats. */
async function calls(admin: Redis): Promise<{ evalsha: number; eval: number }> {
  const info = await admin.info('commandstats');
  const count = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
  return { evalsha: count('evalsha'), eval: count('eval') };
}

describe('withinTimeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers what the work answers, or rejects once the timeout has passed', async () => {
    vi.useFakeTimers();
    await expect(withinTimeout(Promise.resolve(7), 1_000)).resolves.toBe(7);
    let outcome: string | undefined;
    const never = withinTimeout(new Promise(() => undefined), 1_000).then(
      () => 'resolved',
      (error: unknown) => (error instanceof Error ? error.message : 'not an Error'),
    );
    void never.then((text) => (outcome = text));
    await vi.advanceTimersByTimeAsync(999);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(await never).toBe('no answer within 1000 ms');
    // No timer is left behind by a work that answered in time.
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe.runIf(enabled)('evalCached and ReadyGate, on a redis-server of their own', () => {
  const harness = new StoreHarness();
  afterEach(() => harness.cleanup());

  const SOURCE = "return redis.call('INCR', KEYS[1]) + tonumber(ARGV[1])";
  const SHA = createHash('sha1').update(SOURCE).digest('hex');

  it('runs by SHA, by EVAL where the server lacks the script (a restart, SCRIPT FLUSH), then by SHA again', async () => {
    const server = await harness.ownServer();
    const admin = harness.admin(server.url);
    const redis = harness.admin(server.url) as unknown as HfRedisClient;
    const made: string[][] = [];
    const keyed = () => {
      made.push(['n', '10']);
      return ['n', '10'];
    };
    expect(await evalCached(redis, SHA, SOURCE, keyed)).toBe(11);
    expect(await calls(admin)).toEqual({ evalsha: 1, eval: 1 });
    expect(await evalCached(redis, SHA, SOURCE, keyed)).toBe(12);
    expect(await calls(admin)).toEqual({ evalsha: 2, eval: 1 });
    await admin.script('FLUSH');
    expect(await evalCached(redis, SHA, SOURCE, keyed)).toBe(13);
    expect(await calls(admin)).toEqual({ evalsha: 3, eval: 2 });
    // The arguments are made anew for each attempt: 3 EVALSHA and 2 EVAL.
    expect(made).toHaveLength(5);
  });

  it('passes on any other error, without trying EVAL', async () => {
    const server = await harness.ownServer();
    const admin = harness.admin(server.url);
    const redis = harness.admin(server.url) as unknown as HfRedisClient;
    await admin.set('s', 'a string');
    const broken = "return redis.call('INCR', KEYS[1])";
    await admin.script('LOAD', broken);
    const sha = createHash('sha1').update(broken).digest('hex');
    await expect(evalCached(redis, sha, broken, () => ['s'])).rejects.toThrow(/not an integer/);
    expect((await calls(admin)).eval).toBe(0);
  });

  it('ReadyGate resolves at once when ready, else on the connection ready, with one listener for every waiter', async () => {
    const server = await harness.ownServer();
    const client = new Redis(server.url, { lazyConnect: true });
    try {
      const gate = new ReadyGate(client);
      const first = gate.wait();
      const second = gate.wait();
      expect(second).toBe(first);
      expect(client.listenerCount('ready')).toBe(1);
      await client.connect();
      await first;
      expect(client.listenerCount('ready')).toBe(0);
      await expect(gate.wait()).resolves.toBeUndefined();
    } finally {
      client.disconnect();
    }
  });
});
