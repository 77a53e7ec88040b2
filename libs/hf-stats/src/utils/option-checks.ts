import { invalidOption } from '../hf-stats.messages.js';

/**
 * The checks every option resolver shares. Each throws `invalidOption` naming the option (its full dotted
 * path), the value and what is allowed; each returns the value narrowed, so a resolver reads as a list.
 */

/** A route path: segments of URL-safe characters, an optional leading and trailing slash. */
const URL_PATH = /^\/?[A-Za-z0-9_~-][A-Za-z0-9._~-]*(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*\/?$/;

/** A plain object (not null, not an array). */
export function objectOption(option: string, value: unknown, allowed: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidOption(option, value, allowed);
  }
  return value as Record<string, unknown>;
}

/**
 * Refuses a key outside `known`, naming it as `<prefix><key>`; `allowed` says what the known keys are
 * (by default "one of a, b, c").
 */
export function rejectUnknownKeys(
  prefix: string,
  options: Record<string, unknown>,
  known: ReadonlySet<string>,
  allowed = `one of ${[...known].join(', ')}`,
): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw invalidOption(`${prefix}${key}`, options[key], allowed);
    }
  }
}

/**
 * User options merged once onto a fresh settings object of defaults: unknown keys refused, `undefined`
 * fields left at their default. The caller validates the merged fields.
 */
export function mergeOntoDefaults<T extends object>(
  defaults: T,
  options: Record<string, unknown>,
  prefix: string,
  allowed?: string,
): T {
  rejectUnknownKeys(prefix, options, new Set(Object.keys(defaults)), allowed);
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  return Object.assign(defaults, defined);
}

/** A safe integer >= `min`; `allowed` defaults to "an integer >= min" ("a positive integer" for 1). */
export function integerOption(
  option: string,
  value: unknown,
  min: number,
  allowed = min === 1 ? 'a positive integer' : `an integer >= ${min}`,
): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw invalidOption(option, value, allowed);
  }
  return value;
}

/** A safe integer > 0. */
export function positiveInteger(option: string, value: unknown): number {
  return integerOption(option, value, 1);
}

/** `true` or `false`. */
export function booleanOption(option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw invalidOption(option, value, 'true or false');
  }
  return value;
}

/** A route path such as `'hf-stats'` or `'internal/hf-stats'`; `example` completes "a URL path such as …". */
export function urlPath(option: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || !URL_PATH.test(value)) {
    throw invalidOption(option, value, `a URL path such as ${example}`);
  }
  return value;
}
