import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reachedLimit, reservedCostNanoUsd, validateBudget } from './budget.js';
import { HfPricing } from './pricing.js';
import { ScopeAccumulator } from './stats-accumulator.js';

describe('validateBudget', () => {
  it('accepts a budget with at least one limit and onExceed', () => {
    expect(validateBudget({ maxCostUsd: 0.5, onExceed: 'throw' })).toEqual({ maxCostUsd: 0.5, onExceed: 'throw' });
    expect(validateBudget(undefined)).toBeUndefined();
    expect(validateBudget({ maxCalls: 1, onExceed: 'throw', onStoreDown: 'refuse' })?.onStoreDown).toBe('refuse');
  });

  it.each([
    [null, /"budget"/],
    [{ onExceed: 'warn' }, /"budget".*at least one of/],
    [{ maxCalls: 3, onExceed: 'stop' }, /"budget.onExceed": got "stop", expected 'warn' or 'throw'/],
    [{ maxCalls: 1.5, onExceed: 'warn' }, /"budget.maxCalls"/],
    [{ maxTexts: -1, onExceed: 'warn' }, /"budget.maxTexts"/],
    [{ maxCostUsd: Number.NaN, onExceed: 'warn' }, /"budget.maxCostUsd"/],
    [{ maxCost: 1, onExceed: 'warn' }, /"budget.maxCost"/],
    [
      { maxCalls: 3, onExceed: 'warn', onStoreDown: 'wait' },
      /"budget.onStoreDown": got "wait", expected 'allow' or 'refuse'/,
    ],
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

function reserved(inFlightCount: number, reservedTextCount: number, costNanoUsd: number) {
  return { inFlightCount, reservedTextCount, reservedCostNanoUsd: costNanoUsd };
}

function forecast(model: string, textCount = 1, characterCount?: number) {
  return { model, textCount, characterCount };
}

describe('reachedLimit with calls in flight', () => {
  it('counts what the calls in flight reserved', () => {
    const budget = { maxCalls: 3, maxTexts: 10, maxCostUsd: 0.000002, onExceed: 'throw' } as const;
    expect(reachedLimit(budget, scope(1, 0, 0), reserved(1, 0, 0))).toBeUndefined();
    expect(reachedLimit(budget, scope(1, 0, 0), reserved(2, 0, 0))).toEqual({
      limit: 'maxCalls',
      limitValue: 3,
      usedValue: 3,
    });
    expect(reachedLimit(budget, scope(0, 4, 0), reserved(1, 6, 0))?.limit).toBe('maxTexts');
    expect(reachedLimit(budget, scope(0, 0, 1000), reserved(1, 0, 999))).toBeUndefined();
    expect(reachedLimit(budget, scope(0, 0, 1000), reserved(1, 0, 1000))?.limit).toBe('maxCostUsd');
  });
});

describe('reservedCostNanoUsd', () => {
  const pricing = new HfPricing([
    { model: 'per-call', perCall: 0.001 },
    { model: 'texts', perText: 0.000002, perCharacter: 0.000000001 },
    { model: 'tokens', perCall: 0.0001, perOutputToken: 0.00001, perComputeSecond: 1 },
  ]);

  it('prices the parts known at the start, as the final price does', () => {
    expect(reservedCostNanoUsd(pricing, forecast('per-call'), 0)).toBe(1_000_000);
    expect(reservedCostNanoUsd(pricing, forecast('texts', 3, 500), 0)).toBe(6_500);
    // Characters not counted: that part waits for the end.
    expect(reservedCostNanoUsd(pricing, forecast('texts', 3), 0)).toBe(6_000);
    // Tokens and compute time are known at the end only.
    expect(reservedCostNanoUsd(pricing, forecast('tokens'), 0)).toBe(100_000);
  });

  it('reserves nothing without a rule, or without pricing', () => {
    expect(reservedCostNanoUsd(pricing, forecast('unknown'), 0)).toBe(0);
    expect(reservedCostNanoUsd(undefined, forecast('per-call'), 0)).toBe(0);
  });

  it('equals the final price for rules of known parts only (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.nat(1_000),
        fc.nat(1_000_000),
        (perCall, perText, textCount, characterCount) => {
          const rules = new HfPricing([{ model: '*', perCall, perText, perCharacter: 0.000001 }]);
          const final = rules.priceCall({
            model: 'm',
            textCount,
            characterCount,
            inputTokens: undefined,
            outputTokens: undefined,
            computeTimeMs: undefined,
            durationMs: 1,
            endedAt: 0,
          });
          const reservedNano = reservedCostNanoUsd(rules, forecast('m', textCount, characterCount), 0);
          expect(final.priced ? final.costNanoUsd : 0).toBe(reservedNano);
        },
      ),
    );
  });
});
