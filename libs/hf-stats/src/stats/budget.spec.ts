import { describe, expect, it } from 'vitest';
import { reachedLimit, validateBudget } from './budget.js';
import { ScopeAccumulator } from './stats-accumulator.js';

describe('validateBudget', () => {
  it('accepts a budget with at least one limit and onExceed', () => {
    expect(validateBudget({ maxCostUsd: 0.5, onExceed: 'throw' })).toEqual({ maxCostUsd: 0.5, onExceed: 'throw' });
    expect(validateBudget(undefined)).toBeUndefined();
  });

  it.each([
    [null, /"budget"/],
    [{ onExceed: 'warn' }, /"budget".*at least one of/],
    [{ maxCalls: 3, onExceed: 'stop' }, /"budget.onExceed": got "stop", expected 'warn' or 'throw'/],
    [{ maxCalls: 1.5, onExceed: 'warn' }, /"budget.maxCalls"/],
    [{ maxTexts: -1, onExceed: 'warn' }, /"budget.maxTexts"/],
    [{ maxCostUsd: Number.NaN, onExceed: 'warn' }, /"budget.maxCostUsd"/],
    [{ maxCost: 1, onExceed: 'warn' }, /"budget.maxCost"/],
  ])('refuses %j', (budget, message) => {
    expect(() => validateBudget(budget)).toThrow(message);
  });
});

function scope(calls: number, texts: number, costNanoUsd: number): ScopeAccumulator {
  return Object.assign(new ScopeAccumulator(5), { callCount: calls, textCount: texts, costNanoUsd });
}

describe('reachedLimit', () => {
  it('is reached at the limit, not before', () => {
    const budget = { maxCalls: 3, maxTexts: 10, maxCostUsd: 0.000002, onExceed: 'throw' } as const;
    expect(reachedLimit(budget, scope(2, 9, 1999))).toBeUndefined();
    expect(reachedLimit(budget, scope(3, 0, 0))).toEqual({ limit: 'maxCalls', limitValue: 3, usedValue: 3 });
    expect(reachedLimit(budget, scope(0, 10, 0))?.limit).toBe('maxTexts');
    expect(reachedLimit(budget, scope(0, 0, 2000))).toEqual({
      limit: 'maxCostUsd',
      limitValue: 0.000002,
      usedValue: 0.000002,
    });
  });
});
