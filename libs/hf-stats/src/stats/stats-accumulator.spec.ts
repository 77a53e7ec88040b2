import { describe, expect, it } from 'vitest';
import type { HfCallRecord } from './hf-call-record.js';
import { HfBudgetExceededError } from '../hf-stats.exceptions.js';
import { errorTypeOf } from './hf-call-record.js';
import { ScopeAccumulator, StatsAccumulator } from './stats-accumulator.js';
import { callAttempts, callRecord } from './call-record.fixture.js';

function call(overrides: Partial<HfCallRecord> = {}): HfCallRecord {
  return callRecord({ endedAt: Date.UTC(2026, 0, 1), ...overrides });
}

describe('StatsAccumulator', () => {
  it('reports nulls and empty maps, not made-up zeros, before the first call', () => {
    expect(new StatsAccumulator().toJSON()).toEqual({
      callCount: 0,
      textCount: 0,
      characterCount: 0,
      errorCount: 0,
      errors: {},
      totalTimeMs: 0,
      avgTimeMs: null,
      minTimeMs: null,
      maxTimeMs: null,
      p50TimeMs: null,
      p95TimeMs: null,
      p99TimeMs: null,
      inputTokens: 0,
      outputTokens: 0,
      tokensUnmeasuredCount: 0,
      attemptCount: 0,
      rateLimitedCount: 0,
      statusCodes: {},
      computeTimeMs: 0,
      invalidHeaderCount: 0,
      estimatedCostUsd: null,
      unpricedCallCount: 0,
      priceSources: { userRule: 0, routerTable: 0, computeTime: 0, noRule: 0, unitUnmeasured: 0 },
      firstCallAt: null,
      lastCallAt: null,
    });
  });

  it('folds calls into counts, times, tokens, attempts, errors, cost and timestamps', () => {
    const stats = new StatsAccumulator();
    const t0 = Date.UTC(2026, 10, 26, 12, 0, 0);
    stats.add(
      call({ textCount: 3, characterCount: 30, durationMs: 12.5, endedAt: t0, inputTokens: 7, costNanoUsd: 150 }),
    );
    stats.add(
      call({
        textCount: 2,
        durationMs: 2.25,
        ok: false,
        errorType: '503',
        endedAt: t0 + 1000,
        computeTimeMs: 40,
        attempts: callAttempts({
          count: 3,
          rateLimitedCount: 1,
          statusCodes: [429, 503, 503],
          requestId: 'r',
          computeTimeMs: 40,
          invalidHeaderCount: 2,
        }),
      }),
    );
    stats.add(
      call({ textCount: 0, durationMs: 40, endedAt: t0 + 500, inputTokens: 1, outputTokens: 9, costNanoUsd: 1 }),
    );
    expect(stats.toJSON()).toMatchObject({
      callCount: 3,
      textCount: 5,
      characterCount: 30,
      errorCount: 1,
      errors: { '503': 1 },
      totalTimeMs: 54.75,
      avgTimeMs: 18.25,
      minTimeMs: 2.25,
      maxTimeMs: 40,
      inputTokens: 8,
      outputTokens: 9,
      tokensUnmeasuredCount: 1,
      attemptCount: 3,
      rateLimitedCount: 1,
      statusCodes: { '429': 1, '503': 2 },
      computeTimeMs: 40,
      invalidHeaderCount: 2,
      estimatedCostUsd: 0.000000151,
      unpricedCallCount: 1,
      firstCallAt: '2026-11-26T12:00:00.000Z',
      lastCallAt: '2026-11-26T12:00:01.000Z',
    });
    const { p50TimeMs, p99TimeMs } = stats.toJSON();
    expect(p50TimeMs! / 12.5).toBeCloseTo(1, 1);
    expect(Math.abs(p99TimeMs! - 40) / 40).toBeLessThanOrEqual(0.02);
    expect(p99TimeMs).toBeLessThanOrEqual(40);
  });

  it('folds error types past its bound into other', () => {
    const stats = new StatsAccumulator();
    for (let i = 0; i < 40; i += 1) {
      stats.add(call({ ok: false, errorType: `Error${i}` }));
    }
    const errors = stats.toJSON().errors;
    expect(Object.keys(errors)).toHaveLength(33);
    expect(errors.other).toBe(8);
    expect(Object.values(errors).reduce((a, b) => a + b, 0)).toBe(40);
  });

  it('reset() zeroes everything', () => {
    const stats = new StatsAccumulator();
    stats.add(call({ ok: false, errorType: 'x', costNanoUsd: 3 }));
    stats.reset();
    expect(stats.toJSON()).toEqual(new StatsAccumulator().toJSON());
  });
});

describe('ScopeAccumulator', () => {
  it('keeps figures per model and folds models past maxModels into other', () => {
    const scope = new ScopeAccumulator(2);
    scope.add(call({ model: 'a', textCount: 1 }));
    scope.add(call({ model: 'b', textCount: 2 }));
    scope.add(call({ model: 'c', textCount: 3 }));
    scope.add(call({ model: 'd', textCount: 4 }));
    scope.add(call({ model: 'a', textCount: 5 }));
    const json = scope.toJSON();
    expect(Object.keys(json.byModel).toSorted()).toEqual(['a', 'b', 'other']);
    expect(json.byModel.a).toMatchObject({ callCount: 2, textCount: 6 });
    expect(json.byModel.other).toMatchObject({ callCount: 2, textCount: 7 });
    const sum = Object.values(json.byModel).reduce((total, model) => total + model.callCount, 0);
    expect(sum).toBe(json.callCount);
  });

  it('keeps a model named __proto__ as a plain key', () => {
    const scope = new ScopeAccumulator(5);
    scope.add(call({ model: '__proto__' }));
    const byModel = scope.toJSON().byModel;
    expect(Object.keys(byModel)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(byModel)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(byModel)).__proto__.callCount).toBe(1);
  });

  it('keeps a model that carries real traffic visible when junk names took every slot first', () => {
    const scope = new ScopeAccumulator(50);
    for (let i = 0; i < 50; i++) {
      scope.add(call({ model: `junk-${i}` }));
    }
    for (let i = 0; i < 100; i++) {
      scope.add(call({ model: 'real/model' }));
    }
    const { byModel, callCount } = scope.toJSON();
    expect(byModel['real/model'].callCount).toBeGreaterThanOrEqual(95);
    expect(Object.keys(byModel).length).toBeLessThanOrEqual(51);
    expect(Object.values(byModel).reduce((sum, model) => sum + model.callCount, 0)).toBe(callCount);
  });

  it('counts calls without a model under unknown', () => {
    const scope = new ScopeAccumulator(5);
    scope.add(call({}));
    expect(scope.toJSON().byModel.unknown.callCount).toBe(1);
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

  it("names a budget refusal by its class, not by the 429 it answers over HTTP (no server's rate limit)", () => {
    // An outer tracked call that fails because an inner one was refused is not a rate-limited request.
    expect(errorTypeOf(new HfBudgetExceededError('s', 'maxCalls', 2, 2))).toBe('HfBudgetExceededError');
  });
});
