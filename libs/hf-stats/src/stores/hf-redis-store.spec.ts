import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  deleteKeys,
  freePort,
  OwnRedisServer,
  redisTestsEnabled,
  SHARED_REDIS_URL,
  uniquePrefix,
} from '../../../../test/fixtures/redis/redis-support.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats } from '../stats/hf-stats.interfaces.js';
import { ScopeAccumulator } from '../stats/stats-accumulator.js';
import { createHfRedisStore } from './create-hf-stats-store.js';
import { resolveHfStatsStoreOptions, type HfRedisStoreSettings } from './hf-stats-store.options.js';

const enabled = await redisTestsEnabled('HfRedisStore');
const LIMITS = { maxModels: 50, maxSessions: 1000, sessionIdleTimeoutMs: 0 };

function call(index: number, overrides: Partial<HfCallRecord> = {}): HfCallRecord {
  const ok = index % 7 !== 0;
  return {
    sessionId: undefined,
    model: index % 3 === 0 ? 'model-a' : 'model-b',
    operation: 'featureExtraction',
    textCount: (index % 4) + 1,
    characterCount: index * 10,
    durationMs: 5 + ((index * 37) % 400),
    ok,
    errorType: ok ? undefined : index % 2 === 0 ? '503' : 'timeout',
    endedAt: Date.now() + index,
    inputTokens: index % 5 === 0 ? undefined : index,
    outputTokens: index % 5 === 0 ? undefined : 2 * index,
    computeTimeMs: index % 2 === 0 ? 1.5 : undefined,
    attempts: undefined,
    costNanoUsd: index % 3 === 0 ? 1234 : undefined,
    ...overrides,
  };
}

function settings(url: string, prefix: string, extra: Record<string, unknown> = {}): HfRedisStoreSettings {
  return resolveHfStatsStoreOptions({ type: 'redis', url, keyPrefix: prefix, ...extra }) as HfRedisStoreSettings;
}

describe.runIf(enabled)('HfRedisStore against a real Redis', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    vi.useRealTimers();
    for (const cleanup of cleanups.splice(0).toReversed()) {
      await cleanup();
    }
  });

  async function replica(prefix: string, url = SHARED_REDIS_URL, extra: Record<string, unknown> = {}, limits = LIMITS) {
    const store = await createHfRedisStore(settings(url, prefix, extra), limits);
    const ends: Array<[HfSessionStats, HfSessionEndReason]> = [];
    store.start((session, reason) => ends.push([session, reason]));
    cleanups.push(() => store.close());
    return { store, ends };
  }

  function withPrefix(url = SHARED_REDIS_URL): string {
    const prefix = uniquePrefix();
    cleanups.push(() => deleteKeys(url, prefix));
    return prefix;
  }

  it('two replicas sharing a prefix show the exact cluster figures, byModel, errors and histogram included', async () => {
    const prefix = withPrefix();
    const a = await replica(prefix);
    const b = await replica(prefix);
    const expected = new ScopeAccumulator(50);
    for (let i = 1; i <= 400; i++) {
      const record = call(i);
      expected.add(record);
      (i % 2 === 0 ? a : b).store.record(record);
      if (i % 100 === 0) {
        await Promise.all([a.store.flush(), b.store.flush()]);
      }
    }
    await Promise.all([a.store.flush(), b.store.flush()]);
    await a.store.flush();
    expect(a.store.globalStats()).toEqual(expected.toJSON());
    expect(b.store.globalStats()).toEqual(expected.toJSON());
    expect(a.store.partial).toBe(false);
  });

  it("shows this replica's not-yet-flushed calls together with the flushed cluster figures", async () => {
    const prefix = withPrefix();
    const a = await replica(prefix);
    const b = await replica(prefix);
    a.store.record(call(1));
    await Promise.all([a.store.flush(), b.store.flush()]);
    await b.store.flush();
    b.store.record(call(2));
    b.store.record(call(3));
    expect(b.store.globalStats().callCount).toBe(3);
    expect(a.store.globalStats().callCount).toBe(1);
    await b.store.flush();
    await a.store.flush();
    expect(a.store.globalStats().callCount).toBe(3);
  });

  it('a session whose calls land on both replicas has one set of figures and ends once per cluster', async () => {
    const prefix = withPrefix();
    const a = await replica(prefix);
    const b = await replica(prefix);
    a.store.record(call(1, { sessionId: 'shared', textCount: 2 }));
    b.store.record(call(2, { sessionId: 'shared', textCount: 3 }));
    await Promise.all([a.store.flush(), b.store.flush()]);
    await a.store.flush();
    expect(a.store.sessionStats('shared')).toMatchObject({ callCount: 2, textCount: 5, active: true });
    b.store.record(call(3, { sessionId: 'shared', endedAt: Date.now() - 1000 }));
    expect(b.store.activeSessionCount()).toBe(1);
    await b.store.flush();
    a.store.endSession('shared', 'ended', Date.now());
    b.store.endSession('shared', 'ended', Date.now());
    await Promise.all([a.store.flush(), b.store.flush()]);
    const ends = [...a.ends, ...b.ends];
    expect(ends).toHaveLength(1);
    expect(ends[0][0]).toMatchObject({ sessionId: 'shared', callCount: 3, active: false });
    expect(ends[0][1]).toBe('ended');
    await b.store.flush();
    expect(b.store.activeSessionCount()).toBe(0);
    expect(b.store.listSessions({ limit: Number.POSITIVE_INFINITY }).items.map((s) => [s.sessionId, s.active])).toEqual(
      [['shared', false]],
    );
  });

  it("ends an idle session once, on the cluster-wide last activity, by Redis's clock", async () => {
    // Redis's clock can't be faked: the calls are dated in the past instead (a replica's times are moved to
    // Redis's clock by the difference of the two clocks when a chunk arrives).
    const prefix = withPrefix();
    const limits = { ...LIMITS, sessionIdleTimeoutMs: 60_000 };
    const a = await replica(prefix, SHARED_REDIS_URL, {}, limits);
    const b = await replica(prefix, SHARED_REDIS_URL, {}, limits);
    const now = Date.now();
    a.store.record(call(1, { sessionId: 'busy', endedAt: now - 110_000 }));
    a.store.record(call(2, { sessionId: 'idle-me', endedAt: now - 70_000 }));
    b.store.record(call(3, { sessionId: 'busy', endedAt: now - 50_000 }));
    b.store.record(call(4, { sessionId: 'idle-me', endedAt: now - 65_000 }));
    // b first: 'busy' is 50 s old for the cluster even though a's own call is 110 s old; 'idle-me' ends at once.
    await b.store.flush();
    await a.store.flush();
    await Promise.all([a.store.flush(), b.store.flush()]);
    const ends = [...a.ends, ...b.ends];
    expect(ends.map(([session, reason]) => [session.sessionId, reason])).toEqual([['idle-me', 'idle']]);
    // a's call from before the end adds to its figures without reopening it or ending it twice.
    expect(a.store.sessionStats('idle-me')).toMatchObject({ callCount: 2, active: false });
    expect(a.store.sessionStats('busy')?.active).toBe(true);
  });

  it('keeps the buffer bounded: sessions past maxSessions count in the global figures and are counted', async () => {
    const prefix = withPrefix();
    const a = await replica(prefix, SHARED_REDIS_URL, {}, { ...LIMITS, maxSessions: 2 });
    for (const [i, sessionId] of ['s1', 's2', 's3', 's3'].entries()) {
      a.store.record(call(i + 1, { sessionId }));
    }
    // s3 found no room in the buffer: it is kept nowhere, and its calls count globally.
    expect(a.store.sessionStats('s3')).toBeUndefined();
    expect(a.store.sessionStats('s2')?.callCount).toBe(1);
    expect(a.store.sessionOverflowCount).toBe(2);
    await a.store.flush();
    expect(a.store.globalStats().callCount).toBe(4);
  });

  it("works on the app's own ioredis client and leaves it open at close", async () => {
    const prefix = withPrefix();
    const client = new Redis(SHARED_REDIS_URL);
    cleanups.push(async () => {
      await client.quit();
    });
    const store = await createHfRedisStore(
      resolveHfStatsStoreOptions({ type: 'redis', client, keyPrefix: prefix }) as HfRedisStoreSettings,
      LIMITS,
    );
    store.record(call(1));
    await store.close();
    expect(client.status).toBe('ready');
    expect(await client.hget(`${prefix}global`, 't|callCount')).toBe('1');
  });

  describe('faults, on a Redis of its own', () => {
    it('a flush retried after a timeout counts once', async () => {
      const server = new OwnRedisServer(await freePort());
      await server.start();
      cleanups.push(() => server.stop());
      const prefix = uniquePrefix();
      const a = await replica(prefix, server.url, { commandTimeoutMs: 150 });
      await a.store.flush();
      for (let i = 1; i <= 10; i++) {
        a.store.record(call(i));
      }
      const admin = new Redis(server.url);
      cleanups.push(async () => {
        admin.disconnect();
      });
      // Redis holds the flush for 400 ms: the store gives up after 150 ms, then the first attempt runs.
      await admin.client('PAUSE', 400, 'ALL');
      await a.store.flush();
      expect(a.store.partial).toBe(true);
      expect(a.store.globalStats().callCount).toBe(10);
      let attempts = 1;
      while (a.store.partial && attempts < 20) {
        await a.store.flush();
        attempts += 1;
      }
      expect(attempts).toBeGreaterThan(1);
      expect(a.store.partial).toBe(false);
      expect(a.store.globalStats().callCount).toBe(10);
      expect(Number(await admin.hget(`${prefix}global`, 't|callCount'))).toBe(10);
    });

    it('Redis stopped and restarted mid-run: calls go on, reads say partial, totals are exact afterwards', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hf-redis-'));
      const server = new OwnRedisServer(await freePort(), dir);
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      await server.start();
      cleanups.push(() => server.stop());
      const prefix = uniquePrefix();
      const a = await replica(prefix, server.url, { commandTimeoutMs: 300 });
      const b = await replica(prefix, server.url, { commandTimeoutMs: 300 });
      const expected = new ScopeAccumulator(50);
      let i = 0;
      const traffic = (count: number): void => {
        for (let n = 0; n < count; n++) {
          i += 1;
          const record = call(i, { sessionId: `s${i % 3}` });
          expected.add(record);
          (i % 2 === 0 ? a : b).store.record(record);
        }
      };
      traffic(50);
      await Promise.all([a.store.flush(), b.store.flush()]);
      await server.stop();
      traffic(50);
      await Promise.all([a.store.flush(), b.store.flush()]);
      expect(a.store.partial).toBe(true);
      expect(b.store.partial).toBe(true);
      traffic(50);
      await server.start();
      // ioredis reconnects on its own schedule: flush until both replicas have written their buffers.
      for (let attempt = 0; attempt < 50 && (a.store.partial || b.store.partial); attempt++) {
        await Promise.all([a.store.flush(), b.store.flush()]);
        if (a.store.partial || b.store.partial) {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      await a.store.flush();
      expect(a.store.partial).toBe(false);
      expect(a.store.globalStats()).toEqual(expected.toJSON());
      expect(a.store.sessionStats('s1')?.callCount).toBe(50);
    });
  });
});

describe('resolveHfStatsStoreOptions', () => {
  it('defaults to the memory store and applies the Redis defaults', () => {
    expect(resolveHfStatsStoreOptions(undefined)).toEqual({ type: 'memory' });
    expect(resolveHfStatsStoreOptions({ type: 'redis', url: 'redis://127.0.0.1:6379' })).toMatchObject({
      keyPrefix: 'hf-stats:',
      flushIntervalMs: 1000,
      sessionRetentionMs: 86_400_000,
    });
  });

  it('names the invalid field', () => {
    expect(() => resolveHfStatsStoreOptions({ type: 'redis' })).toThrow(/store\.url.*store\.client/);
    expect(() => resolveHfStatsStoreOptions({ type: 'redis', url: 'http://x' })).toThrow(/"store\.url"/);
    expect(() => resolveHfStatsStoreOptions({ type: 'redis', url: 'redis://x', flushIntervalMs: 0 })).toThrow(
      /"store\.flushIntervalMs"/,
    );
    expect(() => resolveHfStatsStoreOptions({ type: 'nope' } as never)).toThrow(/"store\.type"/);
  });
});
