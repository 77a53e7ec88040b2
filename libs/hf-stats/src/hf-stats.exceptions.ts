import { HttpException, HttpStatus } from '@nestjs/common';
import { budgetExceeded } from './hf-stats.messages.js';

/**
 * Which limit refused the call: one of the `budget` option's, or `maxSessions` when the call's session could
 * not be created (every retained session active), so that there were no figures to check it against, or
 * `storeDown` when a cluster-wide budget could not be read from Redis (`budget.onStoreDown: 'refuse'`).
 */
export type HfBudgetLimit = 'maxCostUsd' | 'maxCalls' | 'maxTexts' | 'maxSessions' | 'storeDown';

/** The JSON body of the `429` that a refused call answers when the app lets the error through. */
export interface HfBudgetExceededBody {
  statusCode: 429;
  error: 'Too Many Requests';
  message: string;
  limit: HfBudgetLimit;
  limitValue: number;
  usedValue: number;
}

/**
 * Thrown by a tracked call, before the Hugging Face call is made, when its session has reached a limit of the
 * `budget` option and `onExceed` is `'throw'`. An `HttpException` (as `@nestjs/throttler`'s
 * `ThrottlerException`): uncaught in a request, it answers `429 Too Many Requests` with an
 * {@link HfBudgetExceededBody}. Neither the body nor the message holds the session id; the `sessionId`
 * property does, for the app's own handling.
 */
export class HfBudgetExceededError extends HttpException {
  override readonly name = 'HfBudgetExceededError';

  constructor(
    readonly sessionId: string,
    readonly limit: HfBudgetLimit,
    readonly limitValue: number,
    readonly usedValue: number,
  ) {
    const body: HfBudgetExceededBody = {
      statusCode: HttpStatus.TOO_MANY_REQUESTS,
      error: 'Too Many Requests',
      message: budgetExceeded(limit, limitValue, usedValue),
      limit,
      limitValue,
      usedValue,
    };
    super(body, HttpStatus.TOO_MANY_REQUESTS);
  }
}
