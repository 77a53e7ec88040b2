import { describe, expect, it } from 'vitest';
import type { HfCallRecord } from './hf-call-record.js';
import { errorTypeOf } from './hf-call-record.js';
import { StatsAccumulator } from './stats-accumulator.js';

function call(overrides: Partial<HfCallRecord>): HfCallRecord {
  return {
    sessionId: undefined,
    model: undefined,
    operation: undefined,
    textCount: 1,
    durationMs: 10,
    ok: true,
    errorType: undefined,
    endedAt: Date.UTC(2026, 0, 1),
    ...overrides,
  };
}

describe('StatsAccumulator', () => {
  it('reports nulls, not zeros, before the first call', () => {
    expect(new StatsAccumulator().toJSON()).toEqual({
      callCount: 0,
      textCount: 0,
      errorCount: 0,
      totalTimeMs: 0,
      avgTimeMs: null,
      minTimeMs: null,
      maxTimeMs: null,
      firstCallAt: null,
      lastCallAt: null,
    });
  });

  it('folds calls into counts, times and timestamps', () => {
    const stats = new StatsAccumulator();
    const t0 = Date.UTC(2026, 10, 26, 12, 0, 0);
    stats.add(call({ textCount: 3, durationMs: 12.5, endedAt: t0 }));
    stats.add(call({ textCount: 2, durationMs: 2.25, ok: false, errorType: '503', endedAt: t0 + 1000 }));
    stats.add(call({ textCount: 0, durationMs: 40, endedAt: t0 + 500 }));
    expect(stats.toJSON()).toEqual({
      callCount: 3,
      textCount: 5,
      errorCount: 1,
      totalTimeMs: 54.75,
      avgTimeMs: 18.25,
      minTimeMs: 2.25,
      maxTimeMs: 40,
      firstCallAt: '2026-11-26T12:00:00.000Z',
      lastCallAt: '2026-11-26T12:00:01.000Z',
    });
  });

  it('reset() zeroes everything', () => {
    const stats = new StatsAccumulator();
    stats.add(call({}));
    stats.reset();
    expect(stats.toJSON()).toEqual(new StatsAccumulator().toJSON());
  });
});

describe('errorTypeOf', () => {
  it('uses the HTTP status when the error carries one', () => {
    expect(errorTypeOf(Object.assign(new Error('x'), { status: 429 }))).toBe('429');
    expect(errorTypeOf({ response: { status: 503 } })).toBe('503');
    // As @huggingface/inference's InferenceClientProviderApiError carries it.
    expect(
      errorTypeOf(Object.assign(new Error('x'), { name: 'ProviderApiError', httpResponse: { status: 500 } })),
    ).toBe('500');
  });

  it('names timeouts and classes, never the message', () => {
    expect(errorTypeOf(Object.assign(new Error('secret input'), { code: 'ETIMEDOUT' }))).toBe('timeout');
    expect(errorTypeOf(new RangeError('secret input'))).toBe('RangeError');
    expect(errorTypeOf('a string thrown')).toBe('string');
    expect(errorTypeOf(Object.assign(new Error('x'), { name: 'Bad\nName' }))).toBe('Bad_Name');
  });
});
