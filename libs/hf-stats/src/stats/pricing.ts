import { parseIsoInstant } from './pricing/iso-instant.js';
import { compileModelGlob } from './pricing/model-glob.js';
import { validateHfPriceRules, type HfPriceRule } from './pricing/price-rules.js';
import type { HfRouterPriceLookup } from './pricing/router-price-table.js';
import { UNKNOWN } from './call-dimensions.js';
import type { HfCallRecord, HfPriceSource } from './hf-call-record.js';

/** What {@link HfPricing.priceCall} needs to know about one call. Undefined means "not measured". */
export interface HfPricingCall {
  model: string | undefined;
  /** The provider that served the call; undefined is matched as `unknown`. */
  provider?: string | undefined;
  /** `x-compute-type` of the call's last answer that had it; undefined is matched as `''`. */
  computeType?: string | undefined;
  textCount: number;
  characterCount: number | undefined;
  inputTokens: number | undefined;
  outputTokens: number | undefined;
  computeTimeMs: number | undefined;
  durationMs: number;
  /** Epoch milliseconds; picks the rules in force. */
  endedAt: number;
}

/**
 * The cost of one call in nano-dollars (1e-9 USD, an integer) and where it came from, or `priced: false` and
 * why it cannot be known.
 */
export type HfCallPrice =
  | { costNanoUsd: number; priced: true; source: 'userRule' | 'routerTable' | 'computeTime' }
  | { priced: false; source: 'noRule' | 'unitUnmeasured' };

/** Nano-dollars (the integer unit of every cost) per US dollar. */
export const NANO_USD_PER_USD = 1e9;
const NO_RULE: HfCallPrice = Object.freeze({ priced: false, source: 'noRule' });
const UNMEASURED: HfCallPrice = Object.freeze({ priced: false, source: 'unitUnmeasured' });
/** The table's prices are US dollars per million tokens. */
const TOKENS_PER_TABLE_UNIT = 1e6;

/** Nano-dollars as dollars for JSON output: rounded to 9 decimals, the exact decimal of an integer count. */
export function nanoUsdToUsd(nano: number): number {
  // Division is correctly rounded, so an integer over 1e9 is the double nearest its 9-decimal value.
  return Math.round(nano) / NANO_USD_PER_USD;
}

interface CompiledRule {
  readonly matches: (model: string) => boolean;
  /** Undefined: any provider (any hardware). */
  readonly matchesProvider: ((provider: string) => boolean) | undefined;
  readonly matchesComputeType: ((computeType: string) => boolean) | undefined;
  /** Undefined: always in force. */
  readonly validFromMs: number | undefined;
  readonly rule: HfPriceRule;
}

/** `units` at `priceUsd` each, in integer nano-dollars: the one rounding of every part of a price. */
export function nanoUsdOf(units: number, priceUsd: number): number {
  return Math.round(units * priceUsd * NANO_USD_PER_USD);
}

/** One part of the cost; NaN for an unmeasured unit, which leaves the whole call unpriced (never a silent $0). */
function part(units: number | undefined, priceUsd: number): number {
  if (units === undefined || !(units >= 0) || units === Number.POSITIVE_INFINITY) {
    return Number.NaN;
  }
  return nanoUsdOf(units, priceUsd);
}

function priced(cost: number, source: 'userRule' | 'routerTable' | 'computeTime'): HfCallPrice {
  // NaN (a unit not measured) and costs past 2^53, which integer totals could no longer add exactly.
  return Number.isSafeInteger(cost) ? { costNanoUsd: cost, priced: true, source } : UNMEASURED;
}

/**
 * Prices calls with a list of {@link HfPriceRule}s.
 *
 * The rule of a call is the first, in list order, whose `model` matches the call's model, whose `provider` and
 * `computeType` (when set) match the call's, and whose `validFrom` is not after the call's `endedAt`: list a
 * newer price before the older one it replaces. A call no rule matches is priced from Hugging Face's table
 * (`routerPricing`) when it is on and lists the call's (model, provider) with a price: user rules win. A call
 * without a model name is matched as `''`, so only `*`-only globs apply to it. A call is unpriced when nothing
 * matches (`noRule`) or when its price bills a unit the call did not measure (`unitUnmeasured`).
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

  /**
   * @param router Hugging Face's price table (`routerPricing`): prices the token-billed calls no rule matches.
   * @throws TypeError as {@link validateHfPriceRules} does.
   */
  constructor(
    rules: readonly HfPriceRule[],
    private readonly router?: HfRouterPriceLookup,
  ) {
    this.rules = validateHfPriceRules(rules).map((rule) => ({
      matches: compileModelGlob(rule.model),
      matchesProvider: rule.provider === undefined ? undefined : compileModelGlob(rule.provider),
      matchesComputeType: rule.computeType === undefined ? undefined : compileModelGlob(rule.computeType),
      validFromMs: rule.validFrom === undefined ? undefined : parseIsoInstant(rule.validFrom),
      rule,
    }));
  }

  /**
   * The rule that prices this call, or undefined when none matches. Without `provider` (a budget's forecast,
   * made before the provider is known), the provider and hardware of the rules are not checked.
   */
  ruleFor(
    model: string | undefined,
    endedAt: number,
    provider?: string,
    computeType?: string,
  ): HfPriceRule | undefined {
    for (const candidate of this.candidatesFor(model ?? '')) {
      if (candidate.validFromMs !== undefined && candidate.validFromMs > endedAt) {
        continue;
      }
      if (
        provider === undefined ||
        ((candidate.matchesProvider === undefined || candidate.matchesProvider(provider)) &&
          (candidate.matchesComputeType === undefined || candidate.matchesComputeType(computeType ?? '')))
      ) {
        return candidate.rule;
      }
    }
    return undefined;
  }

  /**
   * The call with its price and where the price came from: a copy, so that the caller's record stays as it was,
   * unless `inPlace` (a record its call site handed over for good, a `PendingCall`'s own): then priced in place,
   * one copy less per call.
   */
  priceRecord(call: HfCallRecord, inPlace: boolean): HfCallRecord {
    const attempts = call.attempts;
    // What the price reads, named field by field: no copy of the whole record per call.
    const price = this.priceCall({
      model: call.model,
      provider: call.provider,
      computeType: attempts?.computeType,
      textCount: call.textCount,
      characterCount: call.characterCount ?? attempts?.computeCharacters,
      inputTokens: call.inputTokens,
      outputTokens: call.outputTokens,
      computeTimeMs: call.computeTimeMs,
      durationMs: call.durationMs,
      endedAt: call.endedAt,
    });
    const costNanoUsd = price.priced ? price.costNanoUsd : undefined;
    if (inPlace) {
      call.costNanoUsd = costNanoUsd;
      call.priceSource = price.source;
      return call;
    }
    return { ...call, costNanoUsd, priceSource: price.source };
  }

  /** The cost of one call in nano-dollars and its source, or `{ priced: false }` and why (see the class comment). */
  priceCall(call: HfPricingCall): HfCallPrice {
    const provider = call.provider ?? UNKNOWN;
    const rule = this.ruleFor(call.model, call.endedAt, provider, call.computeType);
    if (rule === undefined) {
      return this.priceFromTable(call, provider);
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
    const source: HfPriceSource = rule.perComputeSecond === undefined ? 'userRule' : 'computeTime';
    return priced(cost, source);
  }

  /** The router's price of a token-billed call: per (model, provider), dollars per million tokens. */
  private priceFromTable(call: HfPricingCall, provider: string): HfCallPrice {
    const price = call.model === undefined ? undefined : this.router?.priceOf(call.model, provider);
    if (price === undefined) {
      return NO_RULE;
    }
    const cost =
      part(call.inputTokens, price.input / TOKENS_PER_TABLE_UNIT) +
      part(call.outputTokens, price.output / TOKENS_PER_TABLE_UNIT);
    return priced(cost, 'routerTable');
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
