import { invalidOption } from '../hf-stats.messages.js';
import type { HfBudgetLimit } from '../hf-stats.exceptions.js';
import type { ScopeAccumulator } from './stats-accumulator.js';

/** Limits per session. A session that reached one gets `onExceed` at its next tracked call. */
export interface HfBudgetOptions {
  maxCostUsd?: number;
  maxCalls?: number;
  maxTexts?: number;
  /** `'throw'`: refuse the next call with `HfBudgetExceededError`; `'warn'`: one warning per session. */
  onExceed: 'warn' | 'throw';
}

const BUDGET_FIELDS = new Set(['maxCostUsd', 'maxCalls', 'maxTexts', 'onExceed']);

export function validateBudget(budget: unknown): HfBudgetOptions | undefined {
  if (budget === undefined) {
    return undefined;
  }
  if (budget === null || typeof budget !== 'object' || Array.isArray(budget)) {
    throw invalidOption(
      'budget',
      budget,
      "an object { maxCostUsd?, maxCalls?, maxTexts?, onExceed: 'warn' | 'throw' }",
    );
  }
  const fields = budget as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!BUDGET_FIELDS.has(key)) {
      throw invalidOption(`budget.${key}`, fields[key], `one of ${[...BUDGET_FIELDS].join(', ')}`);
    }
  }
  if (fields.onExceed !== 'warn' && fields.onExceed !== 'throw') {
    throw invalidOption('budget.onExceed', fields.onExceed, "'warn' or 'throw'");
  }
  const { maxCostUsd, maxCalls, maxTexts } = fields;
  if (maxCostUsd !== undefined && (typeof maxCostUsd !== 'number' || !Number.isFinite(maxCostUsd) || maxCostUsd < 0)) {
    throw invalidOption('budget.maxCostUsd', maxCostUsd, 'a finite number of US dollars >= 0');
  }
  for (const [name, value] of [
    ['maxCalls', maxCalls],
    ['maxTexts', maxTexts],
  ] as const) {
    if (value !== undefined && (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)) {
      throw invalidOption(`budget.${name}`, value, 'an integer >= 0');
    }
  }
  if (maxCostUsd === undefined && maxCalls === undefined && maxTexts === undefined) {
    throw invalidOption('budget', budget, 'at least one of maxCostUsd, maxCalls, maxTexts');
  }
  return budget as HfBudgetOptions;
}

/** The first limit a session's figures have reached, with its value and the figure; undefined when none. */
export function reachedLimit(
  budget: HfBudgetOptions,
  stats: ScopeAccumulator,
): { limit: HfBudgetLimit; limitValue: number; usedValue: number } | undefined {
  if (budget.maxCalls !== undefined && stats.callCount >= budget.maxCalls) {
    return { limit: 'maxCalls', limitValue: budget.maxCalls, usedValue: stats.callCount };
  }
  if (budget.maxTexts !== undefined && stats.textCount >= budget.maxTexts) {
    return { limit: 'maxTexts', limitValue: budget.maxTexts, usedValue: stats.textCount };
  }
  if (budget.maxCostUsd !== undefined && stats.costNanoUsd >= Math.round(budget.maxCostUsd * 1e9)) {
    return { limit: 'maxCostUsd', limitValue: budget.maxCostUsd, usedValue: stats.costNanoUsd / 1e9 };
  }
  return undefined;
}
