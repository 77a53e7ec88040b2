/**
 * A price rule: what calls to the matching models cost, in US dollars. Every price field is optional, but a
 * rule needs at least one; the cost of a call is the sum of the parts its rule prices.
 */
export interface HfPriceRule {
  /**
   * An exact model name (case-sensitive) or a glob: `*` matches any run of characters, `/` included, and `?`
   * exactly one character; every other character, `.` and `+` included, matches itself.
   */
  model: string;
  /** Dollars per call. */
  perCall?: number;
  /** Dollars per input text. */
  perText?: number;
  /** Dollars per input character; calls without a character count stay unpriced. */
  perCharacter?: number;
  /** Dollars per input token; calls without an input token count stay unpriced. */
  perInputToken?: number;
  /** Dollars per output token; calls without an output token count stay unpriced. */
  perOutputToken?: number;
  /** Dollars per second of compute time; calls without it stay unpriced unless `computeFallbackToWallTime`. */
  perComputeSecond?: number;
  /** Bill the call's wall-clock duration when the provider reports no compute time. Default `false`. */
  computeFallbackToWallTime?: boolean;
  /**
   * First instant the rule applies, as an ISO 8601 date (`2026-07-01`, midnight UTC) or date-time
   * (`2026-07-01T00:00:00Z`; without an offset it is read as UTC, whatever the server's time zone).
   * Rules without it always apply.
   */
  validFrom?: string;
}

/** What {@link HfPricing.priceCall} needs to know about one call. Undefined means "not measured". */
export interface HfPricingCall {
  model: string | undefined;
  textCount: number;
  characterCount: number | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  computeTimeMs: number | undefined;
  durationMs: number;
  /** Epoch milliseconds; picks the rules in force. */
  endedAt: number;
}

/** The cost of one call in nano-dollars (1e-9 USD, an integer), or `priced: false` when it cannot be known. */
export type HfCallPrice = { costNanoUsd: number; priced: true } | { priced: false };

const OPTION = 'pricing';
const NANO_PER_USD = 1e9;
const PRICE_FIELDS = [
  'perCall',
  'perText',
  'perCharacter',
  'perInputToken',
  'perOutputToken',
  'perComputeSecond',
] as const;
const KNOWN_FIELDS: ReadonlySet<string> = new Set<string>([
  'model',
  ...PRICE_FIELDS,
  'computeFallbackToWallTime',
  'validFrom',
]);
const UNPRICED: HfCallPrice = Object.freeze({ priced: false });

function shown(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (typeof value === 'function') {
    return 'a function';
  }
  if (Array.isArray(value)) {
    return `an array of ${value.length}`;
  }
  if (value !== null && typeof value === 'object') {
    return 'an object';
  }
  return typeof value === 'bigint' ? `${value}n` : String(value);
}

function invalidRule(position: number, model: string | undefined, problem: string): TypeError {
  const rule = model === undefined ? '' : ` (model ${shown(model)})`;
  return new TypeError(`nestjs-hf-stats: invalid option "${OPTION}[${position}]"${rule}: ${problem}.`);
}

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Epoch milliseconds of an ISO 8601 date or date-time, or undefined. Hand-rolled because `Date.parse` accepts
 * non-ISO text, rolls `2026-02-30` over to March, and reads offset-less date-times in the local time zone.
 */
function parseIsoInstant(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (match === null) {
    return undefined;
  }
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((digits) => Number(digits ?? 0));
  const millisecond = Number((match[7] ?? '').padEnd(3, '0').slice(0, 3));
  const offsetHours = Number(match[10] ?? 0);
  const offsetMinutes = Number(match[11] ?? 0);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    return undefined;
  }
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millisecond);
  const offsetMs = (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - (match[9] === '-' ? -offsetMs : offsetMs);
}

function validateRule(rule: unknown, position: number): HfPriceRule {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    throw invalidRule(
      position,
      undefined,
      `each rule must be an object such as { model: 'org/*', perCall: 0.0001 }, got ${shown(rule)}`,
    );
  }
  const fields = rule as Record<string, unknown>;
  const { model } = fields;
  if (typeof model !== 'string' || model === '') {
    throw invalidRule(
      position,
      undefined,
      `"model" must be a non-empty string (an exact model name, or a glob with * and ?), got ${shown(model)}`,
    );
  }
  for (const field of Object.keys(fields)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw invalidRule(
        position,
        model,
        `unknown field "${field}" (value ${shown(fields[field])}); allowed fields are ${[...KNOWN_FIELDS].join(', ')}`,
      );
    }
  }
  const valid: HfPriceRule = { model };
  for (const field of PRICE_FIELDS) {
    const price = fields[field];
    if (price === undefined) {
      continue;
    }
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
      throw invalidRule(position, model, `"${field}" must be a finite number >= 0, got ${shown(price)}`);
    }
    valid[field] = price;
  }
  if (!PRICE_FIELDS.some((field) => valid[field] !== undefined)) {
    throw invalidRule(
      position,
      model,
      `a rule needs at least one price field in US dollars (${PRICE_FIELDS.join(', ')}), got none`,
    );
  }
  const { computeFallbackToWallTime, validFrom } = fields;
  if (computeFallbackToWallTime !== undefined) {
    if (typeof computeFallbackToWallTime !== 'boolean') {
      throw invalidRule(
        position,
        model,
        `"computeFallbackToWallTime" must be true or false, got ${shown(computeFallbackToWallTime)}`,
      );
    }
    valid.computeFallbackToWallTime = computeFallbackToWallTime;
  }
  if (validFrom !== undefined) {
    if (typeof validFrom !== 'string' || parseIsoInstant(validFrom) === undefined) {
      throw invalidRule(
        position,
        model,
        `"validFrom" must be an ISO 8601 date or date-time such as "2026-07-01" or "2026-07-01T00:00:00Z", ` +
          `got ${shown(validFrom)}`,
      );
    }
    valid.validFrom = validFrom;
  }
  return valid;
}

/**
 * Checks the `pricing` option and returns a copy of its rules without undefined fields.
 * Fields set to `undefined` count as absent; unknown fields are errors, so that a typo never prices at $0.
 * @throws TypeError naming the rule (index and model), the field, the value and what is allowed.
 */
export function validateHfPriceRules(rules: unknown): HfPriceRule[] {
  if (!Array.isArray(rules)) {
    throw new TypeError(
      `nestjs-hf-stats: invalid option "${OPTION}": must be an array of price rules such as ` +
        `[{ model: '*', perCall: 0.0001 }], got ${shown(rules)}.`,
    );
  }
  return rules.map((rule: unknown, position) => validateRule(rule, position));
}

/** Nano-dollars as dollars for JSON output: rounded to 9 decimals, the exact decimal of an integer count. */
export function nanoUsdToUsd(nano: number): number {
  // Division is correctly rounded, so an integer over 1e9 is the double nearest its 9-decimal value.
  return Math.round(nano) / NANO_PER_USD;
}

interface CompiledRule {
  readonly matches: (model: string) => boolean;
  /** Undefined: always in force. */
  readonly validFromMs: number | undefined;
  readonly rule: HfPriceRule;
}

function compileGlob(glob: string): (model: string) => boolean {
  if (!glob.includes('*') && !glob.includes('?')) {
    return (model) => model === glob;
  }
  let source = '';
  for (const character of glob) {
    if (character === '*') {
      source += '.*';
    } else if (character === '?') {
      source += '.';
    } else {
      source += character.replace(/[\\^$.*+?()[\]{}|/]/, '\\$&');
    }
  }
  // `s` lets `*` and `?` match any character; `u` makes `?` one code point, not one UTF-16 unit.
  const pattern = new RegExp(`^${source}$`, 'su');
  return (model) => pattern.test(model);
}

/** One part of the cost; NaN for an unmeasured unit, which leaves the whole call unpriced (never a silent $0). */
function part(units: number | undefined, priceUsd: number): number {
  if (units === undefined || !(units >= 0) || units === Number.POSITIVE_INFINITY) {
    return Number.NaN;
  }
  return Math.round(units * priceUsd * NANO_PER_USD);
}

/**
 * Prices calls with a list of {@link HfPriceRule}s.
 *
 * The rule of a call is the first, in list order, whose `model` matches the call's model and whose `validFrom`
 * is not after the call's `endedAt`: list a newer price before the older one it replaces. A call without a
 * model name is matched as `''`, so only `*`-only globs apply to it. A call is unpriced when no rule matches or
 * when its rule prices a unit the call did not measure.
 *
 * Money is an integer number of nano-dollars per call: each part is `Math.round(units * priceUsd * 1e9)`, so it
 * is off by at most 0.5 nano-dollar per part per call, and totals summed as integers never drift (exact while
 * below 2^53 nano-dollars, about $9 million).
 */
export class HfPricing {
  /** Most model names whose matching rules are cached; the oldest entry goes first beyond it. */
  static readonly MAX_CACHED_MODELS = 1024;

  private readonly rules: readonly CompiledRule[];
  /** Per model name, the rules whose glob matches it, in list order; only `validFrom` is left to check. */
  private readonly candidatesByModel = new Map<string, readonly CompiledRule[]>();

  /** @throws TypeError as {@link validateHfPriceRules} does. */
  constructor(rules: readonly HfPriceRule[]) {
    this.rules = validateHfPriceRules(rules).map((rule) => ({
      matches: compileGlob(rule.model),
      validFromMs: rule.validFrom === undefined ? undefined : parseIsoInstant(rule.validFrom),
      rule,
    }));
  }

  /** The rule that prices this call, or undefined when none matches. */
  ruleFor(model: string | undefined, endedAt: number): HfPriceRule | undefined {
    for (const candidate of this.candidatesFor(model ?? '')) {
      if (candidate.validFromMs === undefined || candidate.validFromMs <= endedAt) {
        return candidate.rule;
      }
    }
    return undefined;
  }

  /** The cost of one call in nano-dollars, or `{ priced: false }` (see the class comment). */
  priceCall(call: HfPricingCall): HfCallPrice {
    const rule = this.ruleFor(call.model, call.endedAt);
    if (rule === undefined) {
      return UNPRICED;
    }
    let cost = 0;
    if (rule.perCall !== undefined) {
      cost += part(1, rule.perCall);
    }
    if (rule.perText !== undefined) {
      cost += part(call.textCount, rule.perText);
    }
    if (rule.perCharacter !== undefined) {
      cost += part(call.characterCount, rule.perCharacter);
    }
    if (rule.perInputToken !== undefined) {
      cost += part(call.inputTokens, rule.perInputToken);
    }
    if (rule.perOutputToken !== undefined) {
      cost += part(call.outputTokens, rule.perOutputToken);
    }
    if (rule.perComputeSecond !== undefined) {
      const computeMs = call.computeTimeMs ?? (rule.computeFallbackToWallTime === true ? call.durationMs : undefined);
      cost += part(computeMs === undefined ? undefined : computeMs / 1000, rule.perComputeSecond);
    }
    // Also refuses costs past 2^53, which integer totals could no longer add exactly.
    return Number.isSafeInteger(cost) ? { costNanoUsd: cost, priced: true } : UNPRICED;
  }

  private candidatesFor(model: string): readonly CompiledRule[] {
    let candidates = this.candidatesByModel.get(model);
    if (candidates === undefined) {
      candidates = this.rules.filter((rule) => rule.matches(model));
      if (this.candidatesByModel.size >= HfPricing.MAX_CACHED_MODELS) {
        this.candidatesByModel.delete(this.candidatesByModel.keys().next().value as string);
      }
      this.candidatesByModel.set(model, candidates);
    }
    return candidates;
  }
}
