import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisTestsEnabled } from '../../../../test/fixtures/redis/redis-support.js';
import { StoreHarness, TEST_LIMITS } from '../../../../test/fixtures/redis/store-harness.js';
import { callRecord } from '../stats/call-record.fixture.js';
import type { HfSessionStats } from '../stats/hf-stats.interfaces.js';
import { RedisSessionViews } from './redis-session-views.js';

const enabled = await redisTestsEnabled('HfRedisStore bounds');

/** Distinct model names (`m:<name>|…` fields) and error types (`…|e:<type>`) of a stored scope hash. */
function namesIn(fields: Record<string, string>): { models: Set<string>; errors: Set<string> } {
  const models = new Set<string>();
  const errors = new Set<string>();
  for (const field of Object.keys(fields)) {
    const match = /^m:([^|]*)\|/.exec(field);
    if (match !== null) {
      models.add(match[1]);
    }
    const error = /^t\|e:(.*)$/.exec(field);
    if (error !== null) {
      errors.add(error[1]);
    }
  }
  return { models, errors };
}

describe.runIf(enabled)('HfRedisStore: the bounds of the memory store hold in Redis, cluster-wide', () => {
  const harness = new StoreHarness();
  afterEach(() => harness.cleanup());

  it('at most maxModels model names per scope hash over many flushes of several replicas; the rest under other', async () => {
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, maxModels: 5 };
    const replicas = [
      await harness.replica(prefix, undefined, {}, limits),
      await harness.replica(prefix, undefined, {}, limits),
    ];
    let calls = 0;
    for (let flush = 0; flush < 6; flush++) {
      for (const [index, { store }] of replicas.entries()) {
        for (let i = 0; i < 4; i++) {
          store.record(callRecord({ model: `junk-${flush}-${index}-${i}`, sessionId: 'one', endedAt: Date.now() }));
          calls += 1;
        }
        await store.flush();
      }
    }
    const admin = harness.admin();
    for (const key of ['global', 'session:one']) {
      const { models } = namesIn(await admin.hgetall(`${prefix}${key}`));
      expect(models.size).toBeLessThanOrEqual(6);
      expect(models.has('other')).toBe(true);
    }
    await replicas[0].store.flush();
    const global = replicas[0].store.globalStats();
    expect(global.callCount).toBe(calls);
    expect(Object.values(global.byModel).reduce((sum, model) => sum + model.callCount, 0)).toBe(calls);
    expect(Object.keys(global.byModel)).toHaveLength(6);
  });

  it('bounds providers and billTo apart from models, each at maxModels names per hash, with exact totals', async () => {
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, maxModels: 3 };
    const replicas = [
      await harness.replica(prefix, undefined, {}, limits),
      await harness.replica(prefix, undefined, {}, limits),
    ];
    let calls = 0;
    for (let flush = 0; flush < 4; flush++) {
      for (const [index, { store }] of replicas.entries()) {
        for (let i = 0; i < 3; i++) {
          const name = `p-${flush}-${index}-${i}`;
          // One model for all: the provider and billTo names must not take model slots, nor each other's.
          store.record(callRecord({ model: 'one-model', provider: name, billTo: name, endedAt: Date.now() }));
          calls += 1;
        }
        await store.flush();
      }
    }
    const fields = Object.keys(await harness.admin().hgetall(`${prefix}global`));
    for (const letter of ['m', 'p', 'b']) {
      const names = new Set(fields.flatMap((field) => new RegExp(`^${letter}:([^|]*)\\|`).exec(field)?.[1] ?? []));
      expect(names.size).toBeLessThanOrEqual(letter === 'm' ? 1 : 4);
    }
    await replicas[0].store.flush();
    const global = replicas[0].store.globalStats();
    expect(Object.keys(global.byModel)).toEqual(['one-model']);
    for (const figures of [global.byProvider, global.byBillTo]) {
      expect(Object.keys(figures)).toHaveLength(4);
      expect(figures.other.callCount).toBeGreaterThan(0);
      expect(Object.values(figures).reduce((sum, stats) => sum + stats.callCount, 0)).toBe(calls);
    }
  });

  it('at most 32 error types per scope, over many flushes; the rest under other', async () => {
    const prefix = harness.prefix();
    const a = await harness.replica(prefix);
    for (let flush = 0; flush < 5; flush++) {
      for (let i = 0; i < 20; i++) {
        a.store.record(callRecord({ ok: false, errorType: `E${flush}-${i}`, endedAt: Date.now() }));
      }
      await a.store.flush();
    }
    const { errors } = namesIn(await harness.admin().hgetall(`${prefix}global`));
    expect(errors.size).toBeLessThanOrEqual(33);
    const global = a.store.globalStats();
    expect(Object.values(global.errors).reduce((sum, count) => sum + count, 0)).toBe(100);
    expect(global.errors.other).toBe(100 - 32);
  });

  it('at most maxSessions sessions in Redis: ended ones make room, then new ones are refused and counted', async () => {
    const prefix = harness.prefix();
    const limits = { ...TEST_LIMITS, maxSessions: 10 };
    const a = await harness.replica(prefix, undefined, {}, limits);
    const b = await harness.replica(prefix, undefined, {}, limits);
    for (let i = 0; i < 10; i++) {
      a.store.record(callRecord({ sessionId: `a-${i}`, endedAt: Date.now() }));
    }
    await a.store.flush();
    for (let i = 0; i < 5; i++) {
      b.store.record(callRecord({ sessionId: `b-${i}`, endedAt: Date.now() }));
    }
    await b.store.flush();
    const admin = harness.admin();
    expect(await admin.zcard(`${prefix}sessions`)).toBe(10);
    expect(await admin.exists(`${prefix}session:b-0`)).toBe(0);
    expect(b.store.sessionOverflowCount).toBe(5);
    for (let i = 0; i < 3; i++) {
      a.store.endSession(`a-${i}`, 'ended', Date.now());
    }
    await a.store.flush();
    for (let i = 0; i < 5; i++) {
      b.store.record(callRecord({ sessionId: `c-${i}`, endedAt: Date.now() }));
    }
    await b.store.flush();
    expect(await admin.zcard(`${prefix}sessions`)).toBe(10);
    expect(await admin.exists(`${prefix}session:a-0`)).toBe(0);
    expect(await admin.exists(`${prefix}session:c-2`)).toBe(1);
    expect(await admin.exists(`${prefix}session:c-3`)).toBe(0);
    expect(b.store.globalStats().callCount).toBe(20);
  });

  it("reads back in full only the listed sessions, new ones and ends; a session ends with every replica's calls", async () => {
    const prefix = harness.prefix();
    const a = await harness.replica(prefix, undefined, { listedSessions: 1 });
    const b = await harness.replica(prefix, undefined, { listedSessions: 1 });
    a.store.record(callRecord({ sessionId: 'old', endedAt: Date.now() - 5000 }));
    await a.store.flush();
    b.store.record(callRecord({ sessionId: 'old', endedAt: Date.now() - 4000 }));
    await b.store.flush();
    a.store.record(callRecord({ sessionId: 'old', endedAt: Date.now() - 3000 }));
    a.store.record(callRecord({ sessionId: 'new', endedAt: Date.now() }));
    await a.store.flush();
    // Cached and not listed: what a read before, plus what it wrote since (b's call shows at the end).
    expect(a.store.sessionStats('old')?.callCount).toBe(2);
    a.store.endSession('old', 'ended', Date.now());
    await a.store.flush();
    expect(a.ends.map(([session, reason]) => [session.sessionId, session.callCount, reason])).toEqual([
      ['old', 3, 'ended'],
    ]);
  });

  it('the summary gets the 50 most recent active sessions of 10,000 without building them all', async () => {
    const prefix = harness.prefix();
    const a = await harness.replica(prefix, undefined, {}, { ...TEST_LIMITS, maxSessions: 10_000 });
    // 10 ms apart: Redis's clock offset is measured per round trip, to a millisecond or two.
    const base = Date.now() - 200_000;
    for (let i = 0; i < 10_000; i++) {
      a.store.record(callRecord({ sessionId: `s-${i}`, endedAt: base + 10 * i, model: `m${i % 40}` }));
    }
    await a.store.flush();
    for (let i = 10_000; i < 10_010; i++) {
      a.store.record(callRecord({ sessionId: `s-${i}`, endedAt: base + 10 * i }));
    }
    a.store.endSession('s-10009', 'ended', base + 200_000);
    // Structural, not timed (bench/summary.mjs measures the milliseconds alone): the figures of the kept
    // sessions only are built, whatever the number of sessions passed over.
    const built = vi.spyOn(RedisSessionViews.prototype, 'session');
    let recent: HfSessionStats[] = [];
    try {
      recent = a.store.recentActiveSessions(50);
      expect(built).toHaveBeenCalledTimes(50);
    } finally {
      built.mockRestore();
    }
    expect(recent.map((session) => session.sessionId)).toEqual(Array.from({ length: 50 }, (_, i) => `s-${10_008 - i}`));
    expect(recent.every((session) => session.active)).toBe(true);
  }, 30_000);
});
