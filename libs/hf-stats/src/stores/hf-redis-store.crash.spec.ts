import * as fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { redisTestsEnabled } from '../../../../test/fixtures/redis/redis-support.js';
import { flushUntilWhole, StoreHarness, TEST_LIMITS } from '../../../../test/fixtures/redis/store-harness.js';
import { callRecord } from '../stats/call-record.fixture.js';
import { ScopeAccumulator } from '../stats/stats-accumulator.js';

const enabled = await redisTestsEnabled('HfRedisStore crashes');

describe.runIf(enabled)('HfRedisStore: nothing a client sends crashes a flush', () => {
  const harness = new StoreHarness();
  afterEach(() => harness.cleanup());

  it('a model name with a lone surrogate is flushed, and read back unchanged by another replica', async () => {
    const prefix = harness.prefix();
    const a = await harness.replica(prefix);
    const b = await harness.replica(prefix);
    const names = ['bad\udc00model', '\ud800', 'a|b:c', '__proto__', 'constructor', '%41'];
    for (const model of names) {
      a.store.record(callRecord({ model, errorType: `E\ud83d${model}`, ok: false, endedAt: Date.now() }));
    }
    await expect(a.store.flush()).resolves.toBeUndefined();
    expect(a.store.partial).toBe(false);
    await b.store.flush();
    const global = b.store.globalStats();
    expect(Object.keys(global.byModel).toSorted()).toEqual(names.toSorted());
    expect(Object.hasOwn(global.byModel, '__proto__')).toBe(true);
    expect(global.byModel['bad\udc00model'].errors).toEqual({ 'E\ud83dbad\udc00model': 1 });
  });

  it('arbitrary model names, error types and session ids of calls: figures read back exact and bounded', async () => {
    const prefix = harness.prefix();
    const a = await harness.replica(prefix, undefined, {}, { ...TEST_LIMITS, maxModels: 8 });
    const b = await harness.replica(prefix, undefined, {}, { ...TEST_LIMITS, maxModels: 8 });
    const expected = new ScopeAccumulator(8);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            model: fc.oneof(
              fc.string({ unit: 'binary', maxLength: 30 }),
              fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((u) => String.fromCharCode(u)) }),
              fc.constantFrom('__proto__', 'constructor', 'a|b', 'm:x', '%41'),
            ),
            errorType: fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 20 },
        ),
        async (calls) => {
          for (const { model, errorType } of calls) {
            const record = callRecord({ model, ok: errorType === undefined, errorType, endedAt: Date.now() });
            expected.add(record);
            a.store.record(record);
          }
          await a.store.flush();
          await b.store.flush();
          const global = b.store.globalStats();
          expect(global.callCount).toBe(expected.callCount);
          expect(global.errorCount).toBe(expected.errorCount);
          expect(Object.keys(global.byModel).length).toBeLessThanOrEqual(9);
          expect(Object.keys(global.errors).length).toBeLessThanOrEqual(33);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('20,000 sessions buffered during an outage are all written when Redis is back, each once', async () => {
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const limits = { ...TEST_LIMITS, maxSessions: 20_000 };
    const a = await harness.replica(prefix, server.url, { commandTimeoutMs: 2000 }, limits);
    await a.store.flush();
    await server.stop();
    for (let i = 0; i < 20_000; i++) {
      a.store.record(callRecord({ sessionId: `s-${i}`, model: `m${i % 3}`, endedAt: Date.now() }));
    }
    await a.store.flush();
    expect(a.store.partial).toBe(true);
    await server.start();
    await flushUntilWhole(a.store);
    expect(a.store.partial).toBe(false);
    const admin = harness.admin(server.url);
    expect(await admin.hget(`${prefix}global`, 't|callCount')).toBe('20000');
    expect(await admin.zcard(`${prefix}sessions`)).toBe(20_000);
    expect(await admin.hget(`${prefix}session:s-19999`, 't|callCount')).toBe('1');
    expect(a.store.globalStats().callCount).toBe(20_000);
  }, 60_000);

  it('a flush of several chunks retried after a timeout applies each chunk once', async () => {
    const server = await harness.ownServer();
    const prefix = harness.prefix(server.url);
    const limits = { ...TEST_LIMITS, maxSessions: 5000 };
    const a = await harness.replica(prefix, server.url, { commandTimeoutMs: 150 }, limits);
    await a.store.flush();
    for (let i = 0; i < 5000; i++) {
      a.store.record(callRecord({ sessionId: `s-${i}`, endedAt: Date.now() }));
    }
    const admin = harness.admin(server.url);
    await admin.client('PAUSE', 400, 'ALL');
    await a.store.flush();
    expect(a.store.partial).toBe(true);
    await flushUntilWhole(a.store);
    expect(await admin.hget(`${prefix}global`, 't|callCount')).toBe('5000');
    const perSession = await Promise.all(
      Array.from({ length: 5000 }, (_, i) => admin.hget(`${prefix}session:s-${i}`, 't|callCount')),
    );
    expect(perSession.every((count) => count === '1')).toBe(true);
  }, 30_000);
});
