/** DI token of the resolved `HfStatsSettings`. Internal: users configure through `forRoot`/`forRootAsync`. */
export const HF_STATS_OPTIONS = Symbol('HF_STATS_OPTIONS');

/** Key of the current session id in the nestjs-cls store. A symbol, so it can't clash with the app's keys. */
export const SESSION_ID_CLS_KEY = Symbol('nestjs-hf-stats:sessionId');

/** Key of the current HTTP request's `RequestTiming` (Server-Timing) in the same nestjs-cls store. */
export const REQUEST_TIMING_CLS_KEY = Symbol('nestjs-hf-stats:requestTiming');
