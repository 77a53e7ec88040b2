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
