import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import { TIMELINE_BUCKET_MS, TimelineRing } from './timeline-ring.js';
import { callRecord } from '../stats/call-record.fixture.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0);

/** A call that ends now (the fake clock). */
function call(overrides: Partial<HfCallRecord> = {}): HfCallRecord {
  return callRecord({ model: 'm', durationMs: 100, endedAt: Date.now(), ...overrides });
}

describe('TimelineRing', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps one point per minute, oldest first, and splits calls at the minute boundary', () => {
    const ring = new TimelineRing(5, 10);
    vi.setSystemTime(START + 59_999);
    ring.add(call({ textCount: 3, inputTokens: 10, outputTokens: 5, costNanoUsd: 1_500 }));
    vi.setSystemTime(START + TIMELINE_BUCKET_MS);
    ring.add(call({ ok: false, errorType: '429', durationMs: 40 }));
    ring.add(call({ durationMs: 200, costNanoUsd: 500 }));

    const timeline = ring.read(Date.now());
    expect(timeline.minutes).toBe(5);
    expect(timeline.global.map((point) => point.callCount)).toEqual([0, 0, 0, 1, 2]);
    expect(timeline.global.at(-1)!.at).toBe(new Date(START + TIMELINE_BUCKET_MS).toISOString());
    expect(timeline.from).toBe(new Date(START - 3 * TIMELINE_BUCKET_MS).toISOString());
    expect(timeline.global[3]).toEqual({
      at: new Date(START).toISOString(),
      callCount: 1,
      textCount: 3,
      errorCount: 0,
      inputTokens: 10,
      outputTokens: 5,
      estimatedCostUsd: 0.0000015,
      p95TimeMs: expect.closeTo(100, 0) as number,
    });
    expect(timeline.global[4]).toMatchObject({ callCount: 2, errorCount: 1, estimatedCostUsd: 0.0000005 });
    expect(timeline.global[4].p95TimeMs).toBeGreaterThan(196);
    expect(timeline.global[4].p95TimeMs).toBeLessThanOrEqual(200);
    expect(timeline.global[0]).toMatchObject({ callCount: 0, estimatedCostUsd: null, p95TimeMs: null });
    expect(timeline.byModel.m.map((point) => point.callCount)).toEqual([0, 0, 0, 1, 2]);
  });

  it('forgets minutes as they leave the window, one by one', () => {
    const ring = new TimelineRing(3, 10);
    ring.add(call());
    for (let minute = 1; minute <= 3; minute += 1) {
      vi.advanceTimersByTime(TIMELINE_BUCKET_MS);
      ring.add(call());
      ring.add(call());
    }
    // Minute 0 (one call) has been overwritten by minute 3.
    expect(ring.read(Date.now()).global.map((point) => point.callCount)).toEqual([2, 2, 2]);
    vi.advanceTimersByTime(TIMELINE_BUCKET_MS);
    expect(ring.read(Date.now()).global.map((point) => point.callCount)).toEqual([2, 2, 0]);
  });

  it('reads all zeros after a long idle gap, then counts afresh in slots that held old minutes', () => {
    const ring = new TimelineRing(60, 10);
    for (let minute = 0; minute < 60; minute += 1) {
      ring.add(call({ model: `model-${minute % 3}` }));
      vi.advanceTimersByTime(TIMELINE_BUCKET_MS);
    }
    // 7 hours and 13 minutes without a call: every slot holds a minute that left the window long ago.
    vi.advanceTimersByTime((7 * 60 + 13) * TIMELINE_BUCKET_MS);
    const idle = ring.read(Date.now());
    expect(idle.global).toHaveLength(60);
    expect(idle.global.every((point) => point.callCount === 0)).toBe(true);
    expect(idle.byModel).toEqual({});

    ring.add(call({ textCount: 4 }));
    const after = ring.read(Date.now());
    expect(after.global.at(-1)).toMatchObject({ callCount: 1, textCount: 4 });
    expect(after.global.slice(0, -1).every((point) => point.callCount === 0)).toBe(true);
    expect(Object.keys(after.byModel)).toEqual(['m']);
  });

  it('drops and counts a call older than the window the ring holds (a clock set back)', () => {
    const ring = new TimelineRing(2, 10);
    vi.advanceTimersByTime(5 * TIMELINE_BUCKET_MS);
    ring.add(call());
    ring.add(call({ endedAt: Date.now() - 2 * TIMELINE_BUCKET_MS }));
    const timeline = ring.read(Date.now());
    expect(timeline.global.map((point) => point.callCount)).toEqual([0, 1]);
    expect(timeline.droppedCallCount).toBe(1);
  });

  it('answers fewer minutes on request, at least 1 and at most its size', () => {
    const ring = new TimelineRing(10, 10);
    ring.add(call());
    expect(ring.read(Date.now(), 3).global).toHaveLength(3);
    expect(ring.read(Date.now(), 0).global).toHaveLength(1);
    expect(ring.read(Date.now(), 99).global).toHaveLength(10);
  });

  it('bounds models per minute by maxModels, the rest under "other", and keeps hostile names as plain keys', () => {
    const ring = new TimelineRing(2, 2);
    for (const model of ['a', '__proto__', 'c', 'd']) {
      ring.add(call({ model }));
    }
    const { byModel } = ring.read(Date.now());
    expect(Object.keys(byModel).toSorted()).toEqual(['__proto__', 'a', 'other']);
    expect(Object.getPrototypeOf(byModel)).toBe(Object.prototype);
    expect(byModel.other.at(-1)!.callCount).toBe(2);
  });

  it('keeps a model that carries real traffic visible when junk names took every slot of the minute first', () => {
    const ring = new TimelineRing(5, 50);
    for (let i = 0; i < 50; i++) {
      ring.add(call({ model: `junk-${i}` }));
    }
    for (let i = 0; i < 100; i++) {
      ring.add(call({ model: 'real/model' }));
    }
    const { byModel, global } = ring.read(Date.now());
    expect(byModel['real/model'].at(-1)!.callCount).toBeGreaterThanOrEqual(95);
    expect(Object.keys(byModel).length).toBeLessThanOrEqual(51);
    const sum = Object.values(byModel).reduce((total, points) => total + points.at(-1)!.callCount, 0);
    expect(sum).toBe(global.at(-1)!.callCount);
  });

  it('reset empties every minute', () => {
    const ring = new TimelineRing(3, 10);
    ring.add(call());
    ring.reset();
    expect(ring.read(Date.now()).global.every((point) => point.callCount === 0)).toBe(true);
  });
});
