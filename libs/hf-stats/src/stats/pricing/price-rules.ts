import { invalidPriceRule, PRICE_RULE_PROBLEMS, pricingNotArray } from '../../hf-stats.messages.js';
import { parseIsoInstant } from './iso-instant.js';

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
  /**
   * The provider that served the call (`x-inference-provider`: `together`, `hf-inference`, `hf-endpoint`...),
   * exact or a glob like `model`. Without it the rule matches any provider. A call whose provider is not known
   * is matched as `unknown`.
   */
  provider?: string;
  /**
   * The hardware of a compute-billed call (`x-compute-type`: `cpu`, `nvidia-a10g`...), exact or a glob, so
   * that a CPU second and a GPU second price differently. Without it the rule matches any; a call that
   * reported none is matched as `''`, so only `*` matches it.
   */
  computeType?: string;
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

/** The price fields of a rule, in the order a message lists them. */
export const PRICE_FIELDS = [
  'perCall',
  'perText',
  'perCharacter',
  'perInputToken',
  'perOutputToken',
  'perComputeSecond',
] as const;
const GLOB_FIELDS = ['provider', 'computeType'] as const;
const KNOWN_FIELDS: readonly string[] = [
  'model',
  ...GLOB_FIELDS,
  ...PRICE_FIELDS,
  'computeFallbackToWallTime',
  'validFrom',
];
const KNOWN_FIELD_SET: ReadonlySet<string> = new Set(KNOWN_FIELDS);

function validateRule(rule: unknown, position: number): HfPriceRule {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    throw invalidPriceRule(position, undefined, PRICE_RULE_PROBLEMS.notObject(rule));
  }
  const fields = rule as Record<string, unknown>;
  const { model } = fields;
  if (typeof model !== 'string' || model === '') {
    throw invalidPriceRule(position, undefined, PRICE_RULE_PROBLEMS.model(model));
  }
  for (const field of Object.keys(fields)) {
    if (!KNOWN_FIELD_SET.has(field)) {
      throw invalidPriceRule(position, model, PRICE_RULE_PROBLEMS.unknownField(field, fields[field], KNOWN_FIELDS));
    }
  }
  const valid: HfPriceRule = { model };
  for (const field of GLOB_FIELDS) {
    const glob = fields[field];
    if (glob === undefined) {
      continue;
    }
    if (typeof glob !== 'string' || glob === '') {
      throw invalidPriceRule(position, model, PRICE_RULE_PROBLEMS.glob(field, glob));
    }
    valid[field] = glob;
  }
  for (const field of PRICE_FIELDS) {
    const price = fields[field];
    if (price === undefined) {
      continue;
    }
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0) {
      throw invalidPriceRule(position, model, PRICE_RULE_PROBLEMS.price(field, price));
    }
    valid[field] = price;
  }
  if (!PRICE_FIELDS.some((field) => valid[field] !== undefined)) {
    throw invalidPriceRule(position, model, PRICE_RULE_PROBLEMS.noPrice(PRICE_FIELDS));
  }
  const { computeFallbackToWallTime, validFrom } = fields;
  if (computeFallbackToWallTime !== undefined) {
    if (typeof computeFallbackToWallTime !== 'boolean') {
      throw invalidPriceRule(position, model, PRICE_RULE_PROBLEMS.fallback(computeFallbackToWallTime));
    }
    valid.computeFallbackToWallTime = computeFallbackToWallTime;
  }
  if (validFrom !== undefined) {
    if (typeof validFrom !== 'string' || parseIsoInstant(validFrom) === undefined) {
      throw invalidPriceRule(position, model, PRICE_RULE_PROBLEMS.validFrom(validFrom));
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
    throw pricingNotArray(rules);
  }
  return rules.map((rule: unknown, position) => validateRule(rule, position));
}
