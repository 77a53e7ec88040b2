/** Error-message factories in one place, so every message names the option, the value and what is allowed. */

function describe(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
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

/** An invalid argument of a public `HfStatsService` method. */
export function invalidArgument(method: string, field: string, value: unknown, allowed: string): TypeError {
  return new TypeError(`nestjs-hf-stats: ${method}: invalid "${field}": got ${describe(value)}, expected ${allowed}.`);
}

export const STATS_FAILURE_WARNING =
  'nestjs-hf-stats: a statistics step failed and was skipped; the tracked call itself was not affected. ' +
  'Further failures are counted in internalErrorCount without a warning.';

export const SESSION_OVERFLOW_WARNING =
  'nestjs-hf-stats: maxSessions reached and every retained session is active: new sessions count in the global ' +
  'figures only (see sessionOverflowCount). Raise maxSessions or lower sessionIdleTimeoutMs.';

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
