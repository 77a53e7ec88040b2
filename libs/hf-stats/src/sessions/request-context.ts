import type { ClsService } from 'nestjs-cls';
import { REQUEST_TIMING_CLS_KEY, SESSION_ID_CLS_KEY } from '../hf-stats.internal-constants.js';
import type { RequestTiming } from '../metrics/server-timing.js';

/**
 * Runs the rest of a request (`fn`) with its session and its Server-Timing in the nestjs-cls store: the app's
 * context when one is active (its `ClsModule` middleware ran first), else a new one. One store for both, so
 * that the module enters one `AsyncLocalStorage` per request, not two.
 *
 * @param timing a new timing for the request, or undefined: no header wanted, or an outer binding (the HTTP
 * binding, then `@UseInterceptors(HfStatsInterceptor)`) already times it and writes the header.
 */
export function runInRequestContext<T>(
  cls: ClsService,
  sessionId: string | undefined,
  timing: RequestTiming | undefined,
  fn: () => T,
): T {
  if (cls.isActive()) {
    if (sessionId !== undefined) {
      cls.set(SESSION_ID_CLS_KEY, sessionId);
    }
    if (timing !== undefined) {
      cls.set(REQUEST_TIMING_CLS_KEY, timing);
    }
    return fn();
  }
  return cls.runWith({ [SESSION_ID_CLS_KEY]: sessionId, [REQUEST_TIMING_CLS_KEY]: timing }, fn);
}

/** Whether the current request is timed already (by an outer binding). */
export function isRequestTimed(cls: ClsService): boolean {
  return cls.get<RequestTiming | undefined>(REQUEST_TIMING_CLS_KEY) !== undefined;
}
