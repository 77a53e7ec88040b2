/** Error-message factories in one place, so every message names the option, the value and what is allowed. */

/** An option's value in a message: strings bounded to `maxLength`, objects and functions by kind only. */
function describe(value: unknown, maxLength = 40): string {
  if (typeof value === 'string') {
    // A URL's credentials (a wrong store.url, say) stay out of the logs.
    const shown = value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
    return JSON.stringify(shown.length > maxLength ? `${shown.slice(0, maxLength)}…` : shown);
  }
  if (typeof value === 'bigint') {
    return `${value}n`;
  }
  if (typeof value === 'function') {
    return 'a function';
  }
  if (value instanceof RegExp) {
    return String(value);
  }
  if (Array.isArray(value)) {
    return `an array of ${value.length}`;
  }
  if (value !== null && typeof value === 'object') {
    return 'an object';
  }
  return String(value);
}

/** An invalid module option: thrown at startup. */
export function invalidOption(option: string, value: unknown, allowed: string): TypeError {
  return new TypeError(`nestjs-hf-stats: invalid option "${option}": got ${describe(value)}, expected ${allowed}.`);
}

/**
 * What an invalid argument was, without its content: arguments of the service's methods often come
 * from a request (a session id, a model name), and the message reaches the app's logs.
 */
function describeKind(value: unknown): string {
  if (typeof value === 'string') {
    return `a string of length ${value.length}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    // A number or a boolean can't carry a secret or forge a log line.
    return String(value);
  }
  return describe(value);
}

/** An invalid argument of a public `HfStatsService` method. Never echoes the argument's content. */
export function invalidArgument(method: string, field: string, value: unknown, allowed: string): TypeError {
  return new TypeError(
    `nestjs-hf-stats: ${method}: invalid "${field}": got ${describeKind(value)}, expected ${allowed}.`,
  );
}

/** `HfStatsModule` imported more than once in one app: the copies would split the figures. */
export function moduleImportedTwice(count: number): string {
  return (
    `nestjs-hf-stats: HfStatsModule is imported ${count} times in one app, so its figures would be split between ` +
    'the copies. Import HfStatsModule.forRoot() (or forRootAsync()) once, in the root module: it is global, so ' +
    'HfStatsService and @TrackHFCall work in every module without importing it again.'
  );
}

/** A module-shaping option returned by the `forRootAsync` factory, where it would be ignored. */
export function asyncStaticOption(field: string): TypeError {
  return new TypeError(
    `nestjs-hf-stats: forRootAsync: "${field}" shapes the module, so the factory can't give it: ` +
      `pass it to HfStatsModule.forRootAsync({ ${field}, useFactory }) beside useFactory.`,
  );
}

/** In production, routes with no guards of the module's own and no `publicRoutes: true`: once at startup. */
export function unguardedRoutes(paths: readonly string[]): string {
  return (
    `nestjs-hf-stats: ${paths.map((path) => `/${path.replace(/^\/+|\/+$/g, '')}`).join(', ')} ` +
    'serve the statistics (every session id, model and cost) with no guards of HfStatsModule. Give the module ' +
    'guards (guards: [AdminKeyGuard]); or, when a global guard of the app protects these routes or they are ' +
    'public on purpose, set publicRoutes: true to say so.'
  );
}

export const STATS_FAILURE_WARNING =
  'nestjs-hf-stats: a statistics step failed and was skipped; the tracked call itself was not affected. ' +
  'Further failures are counted in internalErrorCount without a warning.';

export const SESSION_OVERFLOW_WARNING =
  'nestjs-hf-stats: maxSessions reached and every retained session is active: new sessions count in the global ' +
  'figures only (see sessionOverflowCount). Raise maxSessions or lower sessionIdleTimeoutMs.';

/** The message of `HfBudgetExceededError` (and its 429 body): no session id, which the client sent. */
export function budgetExceeded(limit: string, limitValue: number, usedValue: number): string {
  if (limit === 'storeDown') {
    return "Hugging Face budget can't be checked: the store that shares it (Redis) can't be reached, so its calls are refused (budget.onStoreDown 'refuse').";
  }
  return limit === 'maxSessions'
    ? `Hugging Face budget can't be checked: the session could not be kept (maxSessions ${limitValue} reached, ` +
        `all active), so its calls are refused.`
    : `Hugging Face budget of the session exceeded: ${limit} ${limitValue} reached (${usedValue}).`;
}

/** `onExceed: 'warn'`: once per session. Without the session id, which a client may have sent. */
export function budgetReached(limit: string, limitValue: number): string {
  if (limit === 'storeDown') {
    return "nestjs-hf-stats: a session's Hugging Face budget can't be checked (Redis unreachable, budget.onStoreDown 'refuse'); its calls go on (onExceed 'warn').";
  }
  return `nestjs-hf-stats: a session reached its Hugging Face budget (${limit} ${limitValue}); its calls go on (onExceed 'warn').`;
}

/** Shutdown waited `shutdownTimeoutMs` and calls were still running. */
export function callsOutlivedShutdown(count: number, timeoutMs: number): string {
  return (
    `nestjs-hf-stats: ${count} tracked calls were still running ${timeoutMs} ms after shutdown began ` +
    '(shutdownTimeoutMs): the hf_session_end lines (inFlightCallCount) and the last flush of a shared store miss them.'
  );
}

/**
 * What is wrong with a session listing's parameters (`GET <path>`, `GET <path>/sessions`, `listSessionsPage`).
 * None repeats the value: it comes from a client.
 */
export const SESSION_QUERY_PROBLEMS = {
  limit: (max: number) => `limit must be an integer from 1 to ${max}`,
  active: 'active must be true or false',
  prefix: (maxLength: number) => `prefix must be a string of at most ${maxLength} characters`,
  cursor: 'cursor is not valid: pass the nextCursor of an earlier answer unchanged',
  request: 'the request must be an object { limit?, active?, idPrefix?, cursor? }',
} as const;

/** An invalid page request of `listSessionsPage` or `getSnapshot`, in the words of {@link SESSION_QUERY_PROBLEMS}. */
export function invalidSessionRequest(method: string, problem: string): TypeError {
  return new TypeError(`nestjs-hf-stats: ${method}: ${problem}.`);
}

/** What is wrong with `GET <path>/timeline?models=`; the value is not repeated. */
export function timelineModelsProblem(max: number): string {
  return `models must be an integer from 0 to ${max} (series per model in one answer)`;
}

function describeIoError(error: unknown): string {
  if (error instanceof Error) {
    const { code } = error as { code?: unknown };
    return typeof code === 'string' && !error.message.startsWith(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** The statistics log could not be opened or written: once per failure, through the Nest `Logger`. */
export function logUnwritable(path: string, error: unknown, retryMs: number): string {
  return (
    `nestjs-hf-stats: the statistics log "${path}" can't be written (${describeIoError(error)}). ` +
    'Statistics keep working in memory (GET /hf-stats); log lines are dropped and counted (droppedLineCount ' +
    `in hf_summary), and the file is opened again every ${Math.round(retryMs / 1000)} s.`
  );
}

/** The statistics log is written again after a failure. */
export function logResumed(path: string, droppedLineCount: number): string {
  return (
    `nestjs-hf-stats: the statistics log "${path}" is written again; ${droppedLineCount} lines were dropped ` +
    'meanwhile (included in droppedLineCount of the next hf_summary).'
  );
}

/** The disk fell behind the call rate for the first time. */
export function logFellBehind(maxPendingLines: number): string {
  return (
    `nestjs-hf-stats: the statistics log can't keep up: with ${maxPendingLines} lines waiting for the disk ` +
    '(log.maxPendingLines), further hf_call lines are dropped and counted (droppedLineCount in hf_summary). ' +
    'Set log.perCall to false for very high call rates.'
  );
}

/** The log path is a regular file, so the symlink to the current file can't be made there. */
export function logPathNotSymlink(path: string, pattern: string): string {
  return (
    `nestjs-hf-stats: "${path}" exists and is not a symlink, so it can't point to the current statistics log. ` +
    `Follow the files named ${pattern} next to it, or move "${path}" away and restart.`
  );
}

/** The Redis store could not flush: once until it can again. */
export function redisUnreachable(error: unknown): string {
  return (
    `nestjs-hf-stats: Redis can't be reached (${describeIoError(error)}). Tracked calls go on; their figures ` +
    "stay buffered in memory and are written when Redis is back. Until then reads show this replica's figures " +
    'and "partial": true.'
  );
}

/** The Redis store flushed again after a failure. */
export function redisReachable(): string {
  return 'nestjs-hf-stats: Redis is reachable again; the buffered figures were written.';
}

/** Redis lost the figures (FLUSHALL, a restart without persistence): once per loss, per replica. */
export function redisDataLost(restoredCalls: number): string {
  return (
    `nestjs-hf-stats: Redis lost the shared figures (its epoch key changed). This replica writes its own ` +
    `contribution again (${restoredCalls} calls); calls that no running replica holds are counted in ` +
    '"lostCallCount" of GET /hf-stats.'
  );
}

/** The Redis store closed with figures it could not write. */
export function redisUnwrittenAtClose(callCount: number): string {
  return `nestjs-hf-stats: Redis can't be reached at shutdown; ${callCount} calls recorded here were not written to it.`;
}

/** A flush failed for another reason than Redis (a defect): once. */
export function redisFlushFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  return `nestjs-hf-stats: a flush to Redis failed (${name}); the figures stay buffered and the next flush retries.`;
}

/** An option needs an optional peer dependency that is not installed; `instead` is the other way out. */
export function missingPeer(
  option: string,
  packageName: string,
  cause: unknown,
  instead = `turn "${option}" off`,
): Error {
  return new Error(
    `nestjs-hf-stats: option "${option}" needs the package "${packageName}", which is not installed. ` +
      `Run \`npm install ${packageName}\`, or ${instead}.`,
    { cause },
  );
}

/** What is wrong with `GET <path>/timeline?minutes=`; the value is not repeated. */
export function timelineMinutesProblem(max: number): string {
  return `minutes must be an integer from 1 to ${max} (the timelineMinutes option)`;
}

/** `@TrackHFCall()` applied to something other than a method: at class definition. */
export function decoratorNotOnMethod(propertyKey: string | symbol): TypeError {
  return new TypeError(`@TrackHFCall() applies to methods; "${String(propertyKey)}" is not one.`);
}

/** An invalid argument of `createHfStatsFetch`. */
export const FETCH_ARGUMENT_PROBLEMS = {
  baseFetch: '"baseFetch" must be a fetch function',
  computeTimeUnit: `invalid "computeTimeUnit": expected 'auto', 's' or 'ms'`,
  stats: '"stats" must be the HfStatsService of the app',
  includeStreamUsage: '"includeStreamUsage" must be a boolean',
} as const;

/** `createHfStatsFetch` called with an invalid argument, in the words of {@link FETCH_ARGUMENT_PROBLEMS}. */
export function invalidFetchArgument(problem: keyof typeof FETCH_ARGUMENT_PROBLEMS): TypeError {
  return new TypeError(`nestjs-hf-stats: createHfStatsFetch: ${FETCH_ARGUMENT_PROBLEMS[problem]}.`);
}

/** An invalid bucket handed to `LatencyHistogram.fromBuckets` (a store's stored figures). */
export function invalidHistogramBucket(position: number, bucket: unknown, allowed: string): RangeError {
  const shown = Array.isArray(bucket) ? `[${bucket.map(String).join(', ')}]` : String(bucket);
  return new RangeError(
    `nestjs-hf-stats: LatencyHistogram.fromBuckets: invalid bucket [${position}]: got ${shown}, expected ${allowed}.`,
  );
}

/** A percentile asked of `LatencyHistogram.percentile` outside [0, 100]. */
export function invalidPercentile(p: number): RangeError {
  return new RangeError(
    `nestjs-hf-stats: LatencyHistogram.percentile: invalid "p": got ${String(p)}, expected a number in [0, 100].`,
  );
}

/** Price rules' values are shown longer than other options': a model glob is often longer than 40 characters. */
const PRICE_VALUE_LENGTH = 60;

/** What is wrong with a price rule of the `pricing` option; each names the value it got. */
export const PRICE_RULE_PROBLEMS = {
  notObject: (rule: unknown) =>
    `each rule must be an object such as { model: 'org/*', perCall: 0.0001 }, got ${describe(rule, PRICE_VALUE_LENGTH)}`,
  model: (model: unknown) =>
    `"model" must be a non-empty string (an exact model name, or a glob with * and ?), got ${describe(model, PRICE_VALUE_LENGTH)}`,
  unknownField: (field: string, value: unknown, known: readonly string[]) =>
    `unknown field "${field}" (value ${describe(value, PRICE_VALUE_LENGTH)}); allowed fields are ${known.join(', ')}`,
  price: (field: string, price: unknown) =>
    `"${field}" must be a finite number >= 0, got ${describe(price, PRICE_VALUE_LENGTH)}`,
  noPrice: (priceFields: readonly string[]) =>
    `a rule needs at least one price field in US dollars (${priceFields.join(', ')}), got none`,
  fallback: (value: unknown) =>
    `"computeFallbackToWallTime" must be true or false, got ${describe(value, PRICE_VALUE_LENGTH)}`,
  glob: (field: string, value: unknown) =>
    `"${field}" must be a non-empty string (an exact name, or a glob with * and ?), got ${describe(value, PRICE_VALUE_LENGTH)}`,
  validFrom: (value: unknown) =>
    `"validFrom" must be an ISO 8601 date or date-time such as "2026-07-01" or "2026-07-01T00:00:00Z", ` +
    `got ${describe(value, PRICE_VALUE_LENGTH)}`,
} as const;

/** An invalid rule of the `pricing` option, named by its index and model, in the words of {@link PRICE_RULE_PROBLEMS}. */
export function invalidPriceRule(position: number, model: string | undefined, problem: string): TypeError {
  const rule = model === undefined ? '' : ` (model ${describe(model, PRICE_VALUE_LENGTH)})`;
  return new TypeError(`nestjs-hf-stats: invalid option "pricing[${position}]"${rule}: ${problem}.`);
}

/** The `pricing` option is not an array. */
export function pricingNotArray(value: unknown): TypeError {
  return new TypeError(
    'nestjs-hf-stats: invalid option "pricing": must be an array of price rules such as ' +
      `[{ model: '*', perCall: 0.0001 }], got ${describe(value, PRICE_VALUE_LENGTH)}.`,
  );
}

/** `GET <path>/sessions/:id` for a session the store doesn't hold; the id, which the client sent, is not repeated. */
export const UNKNOWN_SESSION = 'Unknown session';

/** A tracked-client wrapper (`trackInferenceClient`, `trackOpenAI`, ...) given something else than a client. */
export function invalidClientArgument(wrapper: string, expected: string): TypeError {
  return new TypeError(`nestjs-hf-stats: ${wrapper}: expected ${expected}.`);
}

/**
 * A read of `routerPricing`'s table failed. Names the URL without its query (which could hold a secret) and
 * the error's name and message cut short; says what stays in force.
 */
export function routerPricingFailed(url: string, error: unknown, keptModelCount: number | undefined): string {
  let where = url;
  try {
    const parsed = new URL(url);
    where = `${parsed.origin}${parsed.pathname}`;
  } catch {
    // Shown as configured.
  }
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const kept =
    keptModelCount === undefined
      ? 'calls it would price stay unpriced until a read succeeds'
      : `the last good table (${keptModelCount} models) stays in force`;
  return `routerPricing: could not read the price table at ${where} (${reason.slice(0, 200)}); ${kept}.`;
}
