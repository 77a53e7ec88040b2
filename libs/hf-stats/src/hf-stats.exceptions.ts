/** Which limit of the session budget was reached. */
export type HfBudgetLimit = 'maxCostUsd' | 'maxCalls' | 'maxTexts';

/**
 * Thrown by a tracked call, before the Hugging Face call is made, when its session has reached a
 * limit of the `budget` option and `onExceed` is `'throw'`.
 */
export class HfBudgetExceededError extends Error {
  override readonly name = 'HfBudgetExceededError';

  constructor(
    readonly sessionId: string,
    readonly limit: HfBudgetLimit,
    readonly limitValue: number,
    readonly usedValue: number,
  ) {
    super(`Session "${sessionId}" is over its Hugging Face budget: ${limit} ${limitValue} reached (${usedValue}).`);
  }
}
