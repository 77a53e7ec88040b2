import { budgetReached, invalidOption } from '../hf-stats.messages.js';
import { HfBudgetExceededError, type HfBudgetLimit } from '../hf-stats.exceptions.js';
import { nanoUsdOf, NANO_USD_PER_USD, type HfPricing } from './pricing.js';
import type { ScopeAccumulator } from './stats-accumulator.js';
import { integerOption, objectOption, rejectUnknownKeys } from '../utils/option-checks.js';

/**
 * Limits per session. A call in flight counts from its start: a call is let through while the session's
 * figures, plus what its calls in flight reserved, are below every limit; `onExceed` applies otherwise.
 */
export interface HfBudgetOptions {
  maxCostUsd?: number;
  maxCalls?: number;
  maxTexts?: number;
  /** `'throw'`: refuse the call with `HfBudgetExceededError`; `'warn'`: one warning per session. */
  onExceed: 'warn' | 'throw';
  /**
   * With the Redis store (where the budget holds for the whole cluster): how a call is decided that the lease in
   * hand does not cover while Redis can't be reached. `'allow'` (default): it goes on, and its share is reported
   * once Redis is back; `'refuse'`: it is handled as a reached limit named `storeDown` (`onExceed` applies).
   */
  onStoreDown?: 'allow' | 'refuse';
}

/** What the calls in flight of a session reserved at their start (a `SessionEntry`). */
export interface HfBudgetReservations {
  readonly inFlightCount: number;
  readonly reservedTextCount: number;
  readonly reservedCostNanoUsd: number;
}

/** A limit reached: which, its value, and the figure that reached it (calls in flight included). */
export interface HfReachedLimit {
  limit: HfBudgetLimit;
  limitValue: number;
  usedValue: number;
}

const BUDGET_FIELDS = new Set(['maxCostUsd', 'maxCalls', 'maxTexts', 'onExceed', 'onStoreDown']);
const NONE_RESERVED: HfBudgetReservations = { inFlightCount: 0, reservedTextCount: 0, reservedCostNanoUsd: 0 };

export function validateBudget(budget: unknown): HfBudgetOptions | undefined {
  if (budget === undefined) {
    return undefined;
  }
  const fields = objectOption(
    'budget',
    budget,
    "an object { maxCostUsd?, maxCalls?, maxTexts?, onExceed: 'warn' | 'throw', onStoreDown?: 'allow' | 'refuse' }",
  );
  rejectUnknownKeys('budget.', fields, BUDGET_FIELDS);
  if (fields.onExceed !== 'warn' && fields.onExceed !== 'throw') {
    throw invalidOption('budget.onExceed', fields.onExceed, "'warn' or 'throw'");
  }
  if (fields.onStoreDown !== undefined && fields.onStoreDown !== 'allow' && fields.onStoreDown !== 'refuse') {
    throw invalidOption('budget.onStoreDown', fields.onStoreDown, "'allow' or 'refuse'");
  }
  const { maxCostUsd, maxCalls, maxTexts } = fields;
  if (maxCostUsd !== undefined && (typeof maxCostUsd !== 'number' || !Number.isFinite(maxCostUsd) || maxCostUsd < 0)) {
    throw invalidOption('budget.maxCostUsd', maxCostUsd, 'a finite number of US dollars >= 0');
  }
  for (const [name, value] of [
    ['maxCalls', maxCalls],
    ['maxTexts', maxTexts],
  ] as const) {
    if (value !== undefined) {
      integerOption(`budget.${name}`, value, 0);
    }
  }
  if (maxCostUsd === undefined && maxCalls === undefined && maxTexts === undefined) {
    throw invalidOption('budget', budget, 'at least one of maxCostUsd, maxCalls, maxTexts');
  }
  return budget as HfBudgetOptions;
}

/**
 * The first limit that a session's settled figures plus its calls' reservations have reached; undefined when
 * none, so that one more call may start.
 */
export function reachedLimit(
  budget: HfBudgetOptions,
  stats: ScopeAccumulator,
  reserved: HfBudgetReservations = NONE_RESERVED,
): HfReachedLimit | undefined {
  if (budget.maxCalls !== undefined) {
    const calls = stats.callCount + reserved.inFlightCount;
    if (calls >= budget.maxCalls) {
      return { limit: 'maxCalls', limitValue: budget.maxCalls, usedValue: calls };
    }
  }
  if (budget.maxTexts !== undefined) {
    const texts = stats.textCount + reserved.reservedTextCount;
    if (texts >= budget.maxTexts) {
      return { limit: 'maxTexts', limitValue: budget.maxTexts, usedValue: texts };
    }
  }
  if (budget.maxCostUsd !== undefined) {
    const costNanoUsd = stats.costNanoUsd + reserved.reservedCostNanoUsd;
    if (costNanoUsd >= Math.round(budget.maxCostUsd * NANO_USD_PER_USD)) {
      return { limit: 'maxCostUsd', limitValue: budget.maxCostUsd, usedValue: costNanoUsd / NANO_USD_PER_USD };
    }
  }
  return undefined;
}

/** What a starting call knows of itself: enough to price the parts of its rule that don't wait for its end. */
export interface HfCallForecast {
  model: string | undefined;
  textCount: number;
  characterCount: number | undefined;
}

/**
 * The part of a call's price known at its start, in nano-dollars: `perCall`, `perText`, and `perCharacter`
 * when its characters are counted. Tokens and compute time are known only at its end, so they are not
 * reserved; that part is what a session's cost can pass `maxCostUsd` by, per call in flight.
 */
export function reservedCostNanoUsd(pricing: HfPricing | undefined, call: HfCallForecast, now: number): number {
  const rule = pricing?.ruleFor(call.model, now);
  if (rule === undefined) {
    return 0;
  }
  const { perCall = 0, perText = 0, perCharacter = 0 } = rule;
  const cost =
    nanoUsdOf(1, perCall) +
    nanoUsdOf(call.textCount, perText) +
    (call.characterCount === undefined ? 0 : nanoUsdOf(call.characterCount, perCharacter));
  return Number.isSafeInteger(cost) && cost > 0 ? cost : 0;
}

/** A session as its budget reads it (a `SessionEntry`): settled figures, reservations, the one warning. */
export interface HfBudgetedSession extends HfBudgetReservations {
  readonly stats: ScopeAccumulator;
  budgetWarned: boolean;
}

/**
 * Checks each starting call of a session against the `budget` option, the session's calls in flight
 * included, and tells what the call reserves. A session that could not be kept (`maxSessions` reached with
 * every retained session active) has no figures to check: its calls are refused under the limit
 * `maxSessions` (`'throw'`), or pass (`'warn'`, after the overflow warning that the registry's bound gives).
 */
export class SessionBudget {
  constructor(
    private readonly budget: HfBudgetOptions,
    private readonly pricing: HfPricing | undefined,
    /** The global scope, whose `budgetRejectedCount` counts every refusal. */
    private readonly global: ScopeAccumulator,
    private readonly maxSessions: number,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * Returns the nano-dollars the call reserves, or refuses it (`'throw'`) or warns once per session
   * (`'warn'`) when a limit is reached. `activeSessionCount` is reported when no session could be kept.
   * @throws HfBudgetExceededError
   */
  admit(
    sessionId: string,
    session: HfBudgetedSession | undefined,
    call: HfCallForecast,
    activeSessionCount: number,
    now: number,
  ): number {
    const { budget } = this;
    const reached: HfReachedLimit | undefined =
      session === undefined
        ? { limit: 'maxSessions', limitValue: this.maxSessions, usedValue: activeSessionCount }
        : reachedLimit(budget, session.stats, session);
    if (reached === undefined) {
      return this.reservation(call, now);
    }
    this.refuse(sessionId, session, reached);
    return 0;
  }

  /** What a call admitted now reserves of its session's cost budget, in nano-dollars. */
  reservation(call: HfCallForecast, now: number): number {
    return this.budget.maxCostUsd === undefined ? 0 : reservedCostNanoUsd(this.pricing, call, now);
  }

  /**
   * Applies `onExceed` to a call that reached `reached`: counts and throws the refusal (`'throw'`), or warns once
   * per session (`'warn'`).
   * @throws HfBudgetExceededError
   */
  refuse(sessionId: string, session: HfBudgetedSession | undefined, reached: HfReachedLimit): void {
    const { budget } = this;
    if (budget.onExceed === 'throw') {
      if (session !== undefined) {
        session.stats.budgetRejectedCount += 1;
      }
      this.global.budgetRejectedCount += 1;
      throw new HfBudgetExceededError(sessionId, reached.limit, reached.limitValue, reached.usedValue);
    }
    if (session !== undefined && !session.budgetWarned) {
      session.budgetWarned = true;
      this.warn(budgetReached(reached.limit, reached.limitValue));
    }
  }
}
