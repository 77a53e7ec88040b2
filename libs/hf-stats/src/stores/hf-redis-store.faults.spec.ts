import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisTestsEnabled } from '../../../../test/fixtures/redis/redis-support.js';
import { flushUntilWhole, StoreHarness, TEST_LIMITS } from '../../../../test/fixtures/redis/store-harness.js';
import { callRecord } from '../stats/call-record.fixture.js';

const enabled = await redisTestsEnabled('HfRedisStore faults');

describe.runIf(enabled)('HfRedisStore: Redis faults told truthfully', () => {
  const harness = new StoreHarness();
  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await harness.cleanup();
  });

  it('FLUSHALL: live replicas restore what they contributed; what none holds is counted as lost, with a warning', async () => {
    const warn = vi.spyOn(Logger.prototype, 'warn');
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const [a, b, c] = [
      await harness.replica(prefix, server.url),
      await harness.replica(prefix, server.url),
      await harness.replica(prefix, server.url),
    ];
    const record = (store: typeof a.store, count: number, sessionId?: string): void => {
      for (let i = 0; i < count; i++) {
        store.record(callRecord({ sessionId, model: `m${i % 3}`, endedAt: Date.now() }));
      }
    };
    record(a.store, 100, 'sa');
    await a.store.flush();
    record(a.store, 20);
    record(b.store, 50, 'sb');
    record(c.store, 30, 'sc');
    await Promise.all([a.store.flush(), b.store.flush(), c.store.flush()]);
    await c.store.close();
    await a.store.flush();
    expect(a.store.globalStats().callCount).toBe(200);

    await harness.admin(server.url).flushall();
    record(b.store, 5, 'sb');
    await Promise.all([a.store.flush(), b.store.flush()]);
    await Promise.all([a.store.flush(), b.store.flush()]);
    const global = a.store.globalStats();
    expect(global.callCount).toBe(175);
    expect(global.byModel.m0.callCount + global.byModel.m1.callCount + global.byModel.m2.callCount).toBe(175);
    expect(a.store.sessionStats('sa')?.callCount).toBe(100);
    expect(a.store.sessionStats('sb')?.callCount).toBe(55);
    expect(a.store.lostCallCount).toBe(30);
    expect(b.store.lostCallCount).toBe(30);
    expect(warn.mock.calls.filter(([message]) => /lost/i.test(String(message)))).toHaveLength(2);
    // Another flush restores nothing twice.
    await Promise.all([a.store.flush(), b.store.flush()]);
    await a.store.flush();
    expect(a.store.globalStats().callCount).toBe(175);
  });

  it('Redis restarted empty: the totals come back exactly once it is up', async () => {
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const a = await harness.replica(prefix, server.url, { commandTimeoutMs: 300 });
    for (let i = 0; i < 40; i++) {
      a.store.record(callRecord({ sessionId: `s${i % 4}`, endedAt: Date.now() }));
    }
    await a.store.flush();
    await server.stop();
    a.store.record(callRecord({ sessionId: 's0', endedAt: Date.now() }));
    await server.start();
    await flushUntilWhole(a.store);
    await a.store.flush();
    expect(a.store.globalStats().callCount).toBe(41);
    expect(a.store.sessionStats('s0')?.callCount).toBe(11);
    expect(Number(await harness.admin(server.url).hget(`${prefix}global`, 't|callCount'))).toBe(41);
    expect(a.store.lostCallCount).toBe(0);
  });

  it('partial is true as soon as the connection is known to be down, before any flush fails', async () => {
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const a = await harness.replica(prefix, server.url, { flushIntervalMs: 60_000 });
    await a.store.flush();
    expect(a.store.partial).toBe(false);
    await server.stop();
    await vi.waitFor(() => expect(a.store.partial).toBe(true), { timeout: 1000, interval: 10 });
  });

  it('partial is true within one flush interval when Redis stops answering', async () => {
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const a = await harness.replica(prefix, server.url, { flushIntervalMs: 200, commandTimeoutMs: 5000 });
    await a.store.flush();
    await harness.admin(server.url).client('PAUSE', 3000, 'ALL');
    a.store.record(callRecord({ endedAt: Date.now() }));
    const paused = Date.now();
    await vi.waitFor(() => expect(a.store.partial).toBe(true), { timeout: 2000, interval: 10 });
    expect(Date.now() - paused).toBeLessThan(1000);
  });

  it("idle ends during an outage: sessions idle by this replica's clock stop counting as active, no end is invented", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const server = await harness.ownServer(true);
    const prefix = harness.prefix(server.url);
    const limits = { ...TEST_LIMITS, sessionIdleTimeoutMs: 60_000 };
    const a = await harness.replica(prefix, server.url, { commandTimeoutMs: 300 }, limits);
    a.store.record(callRecord({ sessionId: 'once', endedAt: Date.now() }));
    a.store.record(callRecord({ sessionId: 'later', endedAt: Date.now() }));
    await a.store.flush();
    expect(a.store.activeSessionCount()).toBe(2);
    await server.stop();
    vi.setSystemTime(Date.now() + 40_000);
    a.store.record(callRecord({ sessionId: 'later', endedAt: Date.now() }));
    await a.store.flush();
    expect(a.store.partial).toBe(true);
    expect(a.store.activeSessionCount()).toBe(2);
    vi.setSystemTime(Date.now() + 21_000);
    a.store.endSession('once', 'idle', Date.now());
    // The summary of this replica no longer lists it, so an outage does not make it write summaries forever.
    expect(a.store.activeSessionCount()).toBe(1);
    expect(a.store.recentActiveSessions(50).map((session) => session.sessionId)).toEqual(['later']);
    expect(a.store.sessionStats('once')?.active).toBe(false);
    expect(a.ends).toEqual([]);
  });

  it("decides idle ends on Redis's clock: a replica 90 s behind does not make a busy session look idle", async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, sessionIdleTimeoutMs: 60_000 };
    const a = await harness.replica(prefix, undefined, {}, limits);
    const b = await harness.replica(prefix, undefined, {}, limits);
    const real = Date.now();
    for (let call = 0; call < 6; call++) {
      vi.setSystemTime(real - 90_000);
      b.store.record(callRecord({ sessionId: 'busy', endedAt: Date.now() }));
      await b.store.flush();
      vi.setSystemTime(real + 90_000);
      await a.store.flush();
    }
    expect([...a.ends, ...b.ends]).toEqual([]);
    expect(a.store.sessionStats('busy')).toMatchObject({ active: true, callCount: 6 });
  });

  it('close() writes every chunk, calls recorded while a flush was under way included, and never rejects', async () => {
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const a = await harness.replica(prefix, server.url, {}, { ...TEST_LIMITS, maxSessions: 10_000 });
    for (let i = 0; i < 6000; i++) {
      a.store.record(callRecord({ sessionId: `s-${i}`, endedAt: Date.now() }));
    }
    const first = a.store.flush();
    for (let i = 0; i < 10; i++) {
      a.store.record(callRecord({ sessionId: `late-${i}`, endedAt: Date.now() }));
    }
    await expect(a.store.close()).resolves.toBeUndefined();
    await first;
    const admin = harness.admin(server.url);
    expect(await admin.hget(`${prefix}global`, 't|callCount')).toBe('6010');
    expect(await admin.zcard(`${prefix}sessions`)).toBe(6010);

    const down = await harness.replica(harness.prefix(server.url), server.url, { commandTimeoutMs: 200 });
    down.store.record(callRecord({ endedAt: Date.now() }));
    await server.stop();
    await expect(down.store.close()).resolves.toBeUndefined();
  });
});
