import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HfSessionEndReason } from '../stats/hf-stats.interfaces.js';
import { SessionLifecycle } from './session-lifecycle.js';
import { SessionRegistry } from './session-registry.js';

function setup(endTimeoutMs = 5_000) {
  const registry = new SessionRegistry(10, 5);
  const ends: Array<[string, HfSessionEndReason, number]> = [];
  const failures: unknown[] = [];
  const lifecycle: SessionLifecycle = new SessionLifecycle(
    registry,
    endTimeoutMs,
    (sessionId, reason, now) => {
      // As the service does: a deferred end asks again, and is written when nothing defers it.
      if (lifecycle.deferEnd(sessionId, reason, now) === undefined) {
        registry.end(sessionId, now);
        ends.push([sessionId, reason, now]);
      }
    },
    (error) => failures.push(error),
  );
  return { registry, lifecycle, ends, failures };
}

describe('SessionLifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts the calls in flight per session and in all, with what they reserved', () => {
    const { registry, lifecycle } = setup();
    const entry = registry.touch('a', 1);
    const first = lifecycle.hold(entry, 3, 1_000);
    const second = lifecycle.hold(entry, 2, 500);
    const outside = lifecycle.hold(undefined, 0, 0);
    expect(lifecycle.inFlightCount).toBe(3);
    expect([lifecycle.reopens(first), lifecycle.reopens(outside)]).toEqual([true, false]);
    expect(entry).toMatchObject({ inFlightCount: 2, reservedTextCount: 5, reservedCostNanoUsd: 1_500 });
    lifecycle.release(first, 2);
    lifecycle.release(outside, 2);
    expect(entry).toMatchObject({ inFlightCount: 1, reservedTextCount: 2, reservedCostNanoUsd: 500 });
    lifecycle.release(second, 3);
    expect(entry).toMatchObject({ inFlightCount: 0, reservedTextCount: 0, reservedCostNanoUsd: 0 });
    expect(lifecycle.inFlightCount).toBe(0);
  });

  it('defers an end while calls run and writes it when the last one settles', () => {
    const { registry, lifecycle, ends } = setup();
    const entry = registry.touch('a', 1);
    const hold = lifecycle.hold(entry, 1, 0);
    expect(lifecycle.deferEnd('a', 'ended', 2)).toBe(true);
    expect(lifecycle.deferEnd('a', 'idle', 3)).toBe(false);
    expect(lifecycle.reopens(hold)).toBe(true);
    lifecycle.release(hold, 4);
    expect(ends).toEqual([['a', 'ended', 4]]);
    expect(lifecycle.reopens(hold)).toBe(false);
    // Without calls in flight, nothing is deferred.
    registry.touch('b', 5);
    expect(lifecycle.deferEnd('b', 'ended', 5)).toBeUndefined();
  });

  it('writes an overdue end without the calls still running, once', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { registry, lifecycle, ends } = setup(3_000);
    const entry = registry.touch('a', Date.now());
    const hold = lifecycle.hold(entry, 1, 0);
    lifecycle.deferEnd('a', 'idle', Date.now());
    vi.advanceTimersByTime(2_999);
    expect(ends).toEqual([]);
    vi.advanceTimersByTime(1_000);
    expect(ends.map(([sessionId, reason]) => [sessionId, reason])).toEqual([['a', 'idle']]);
    expect(entry?.inFlightCount).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    lifecycle.release(hold, Date.now());
    expect(ends).toHaveLength(1);
    expect(lifecycle.reopens(hold)).toBe(false);
  });

  it('a call that starts cancels a waiting idle end, not an explicit one', () => {
    const { registry, lifecycle, ends } = setup();
    const idle = registry.touch('idle', 1);
    const ended = registry.touch('ended', 1);
    const holds = [lifecycle.hold(idle, 0, 0), lifecycle.hold(ended, 0, 0)];
    lifecycle.deferEnd('idle', 'idle', 2);
    lifecycle.deferEnd('ended', 'ended', 2);
    holds.push(lifecycle.hold(idle, 0, 0), lifecycle.hold(ended, 0, 0));
    for (const hold of holds) {
      lifecycle.release(hold, 3);
    }
    expect(ends).toEqual([['ended', 'ended', 3]]);
    expect(registry.getActive('idle')).toBe(idle);
  });

  it('drain resolves when the last call settles, or at its bound with the number still running', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const { registry, lifecycle } = setup();
    const entry = registry.touch('a', 1);
    const quick = lifecycle.hold(entry, 0, 0);
    const hung = lifecycle.hold(undefined, 0, 0);
    const drained = lifecycle.drain(1_000);
    lifecycle.release(quick, 2);
    await vi.advanceTimersByTimeAsync(999);
    let result: number | undefined;
    void drained.then((count) => (result = count));
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toBe(1);
    // After the drain, ends are written at once.
    lifecycle.hold(registry.touch('b', 3), 0, 0);
    expect(lifecycle.deferEnd('b', 'shutdown', 3)).toBeUndefined();
    lifecycle.release(hung, 4);
  });

  it('drain with nothing in flight resolves at once', async () => {
    const { lifecycle } = setup();
    await expect(lifecycle.drain(10_000)).resolves.toBe(0);
  });

  it('an end that throws is counted as a failure, never thrown out of release', () => {
    const registry = new SessionRegistry(10, 5);
    const failures: unknown[] = [];
    const lifecycle = new SessionLifecycle(
      registry,
      1_000,
      () => {
        throw new Error('listener failed');
      },
      (error) => failures.push(error),
    );
    const hold = lifecycle.hold(registry.touch('a', 1), 0, 0);
    lifecycle.deferEnd('a', 'ended', 1);
    expect(() => lifecycle.release(hold, 2)).not.toThrow();
    expect(failures).toHaveLength(1);
  });

  it('sessionEndTimeoutMs 0 never defers', () => {
    const { registry, lifecycle } = setup(0);
    lifecycle.hold(registry.touch('a', 1), 0, 0);
    expect(lifecycle.deferEnd('a', 'ended', 1)).toBeUndefined();
  });
});
