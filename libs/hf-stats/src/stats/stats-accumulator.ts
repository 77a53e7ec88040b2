import { BoundedDimensionMap, OTHER } from './bounded-dimension-map.js';
import { DimensionMaps, UNKNOWN } from './call-dimensions.js';
import type { HfCallRecord } from './hf-call-record.js';
import type { HfModelStats, HfStats } from './hf-stats.interfaces.js';
import { LatencyHistogram } from './latency-histogram.js';
import { nanoUsdToUsd } from './pricing.js';
import { roundMs } from './round-ms.js';

/** Model label of calls whose model is not known. */
export const UNKNOWN_MODEL = UNKNOWN;
/** Distinct error types or status codes kept per scope before the rest count under `other`. */
export const MAX_COUNTER_KEYS = 32;

function isoOrNull(epochMs: number): string | null {
  return epochMs === 0 ? null : new Date(epochMs).toISOString();
}

/** Adds to a counter of a bounded map: past its bound, new keys count under `other`. */
export function incrementBounded(counters: Map<string, number>, key: string, by: number): void {
  const current = counters.get(key);
  if (current !== undefined) {
    counters.set(key, current + by);
  } else if (counters.size < MAX_COUNTER_KEYS) {
    counters.set(key, by);
  } else {
    counters.set(OTHER, (counters.get(OTHER) ?? 0) + by);
  }
}

/** A percentile within the histogram's 2 %, kept within the exact min and max so it never reads past them. */
function percentile(stats: StatsAccumulator, p: number): number | null {
  const value = stats.latency.percentile(p);
  return value === null ? null : roundMs(Math.min(stats.maxTimeMs, Math.max(stats.minTimeMs, value)));
}

/**
 * Running figures of one model within a scope. Plain numbers, with maps and buckets allocated on
 * first use, so that adding a call allocates nothing in the common case.
 */
export class StatsAccumulator {
  callCount = 0;
  textCount = 0;
  characterCount = 0;
  errorCount = 0;
  errors: Map<string, number> | undefined = undefined;
  totalTimeMs = 0;
  minTimeMs = Number.POSITIVE_INFINITY;
  maxTimeMs = 0;
  readonly latency = new LatencyHistogram();
  inputTokens = 0;
  outputTokens = 0;
  tokensUnmeasuredCount = 0;
  attemptCount = 0;
  rateLimitedCount = 0;
  statusCodes: Map<string, number> | undefined = undefined;
  computeTimeMs = 0;
  invalidHeaderCount = 0;
  /** Integer nano-dollars, so that a million small costs add up exactly. */
  costNanoUsd = 0;
  pricedCallCount = 0;
  /** Priced calls by where the price came from (the rest of `pricedCallCount` is `userRule`). */
  routerTablePricedCount = 0;
  computeTimePricedCount = 0;
  /** Unpriced calls whose rule prices a unit they did not measure (the rest of the unpriced: no rule). */
  unitUnmeasuredCount = 0;
  firstCallAt = 0;
  lastCallAt = 0;

  add(call: HfCallRecord): void {
    this.callCount += 1;
    this.textCount += call.textCount;
    if (call.characterCount !== undefined) {
      this.characterCount += call.characterCount;
    }
    if (!call.ok) {
      this.errorCount += 1;
      incrementBounded((this.errors ??= new Map()), call.errorType ?? 'Error', 1);
    }
    this.totalTimeMs += call.durationMs;
    if (call.durationMs < this.minTimeMs) {
      this.minTimeMs = call.durationMs;
    }
    if (call.durationMs > this.maxTimeMs) {
      this.maxTimeMs = call.durationMs;
    }
    this.latency.record(call.durationMs);
    if (call.inputTokens === undefined && call.outputTokens === undefined) {
      this.tokensUnmeasuredCount += 1;
    } else {
      this.inputTokens += call.inputTokens ?? 0;
      this.outputTokens += call.outputTokens ?? 0;
    }
    const attempts = call.attempts;
    if (attempts !== undefined) {
      this.attemptCount += attempts.count;
      this.rateLimitedCount += attempts.rateLimitedCount;
      for (const status of attempts.statusCodes) {
        incrementBounded((this.statusCodes ??= new Map()), String(status), 1);
      }
      this.invalidHeaderCount += attempts.invalidHeaderCount;
    }
    if (call.computeTimeMs !== undefined) {
      this.computeTimeMs += call.computeTimeMs;
    }
    if (call.costNanoUsd !== undefined) {
      this.costNanoUsd += call.costNanoUsd;
      this.pricedCallCount += 1;
      if (call.priceSource === 'routerTable') {
        this.routerTablePricedCount += 1;
      } else if (call.priceSource === 'computeTime') {
        this.computeTimePricedCount += 1;
      }
    } else if (call.priceSource === 'unitUnmeasured') {
      this.unitUnmeasuredCount += 1;
    }
    if (this.firstCallAt === 0) {
      this.firstCallAt = call.endedAt;
    }
    if (call.endedAt > this.lastCallAt) {
      this.lastCallAt = call.endedAt;
    }
  }

  reset(): void {
    Object.assign(this, new StatsAccumulator());
  }

  toJSON(): HfModelStats {
    const hasCalls = this.callCount > 0;
    return {
      callCount: this.callCount,
      textCount: this.textCount,
      characterCount: this.characterCount,
      errorCount: this.errorCount,
      errors: this.errors === undefined ? {} : Object.fromEntries(this.errors),
      totalTimeMs: roundMs(this.totalTimeMs),
      avgTimeMs: hasCalls ? roundMs(this.totalTimeMs / this.callCount) : null,
      minTimeMs: hasCalls ? roundMs(this.minTimeMs) : null,
      maxTimeMs: hasCalls ? roundMs(this.maxTimeMs) : null,
      p50TimeMs: percentile(this, 50),
      p95TimeMs: percentile(this, 95),
      p99TimeMs: percentile(this, 99),
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      tokensUnmeasuredCount: this.tokensUnmeasuredCount,
      attemptCount: this.attemptCount,
      rateLimitedCount: this.rateLimitedCount,
      statusCodes: this.statusCodes === undefined ? {} : Object.fromEntries(this.statusCodes),
      computeTimeMs: roundMs(this.computeTimeMs),
      invalidHeaderCount: this.invalidHeaderCount,
      estimatedCostUsd: this.pricedCallCount > 0 ? nanoUsdToUsd(this.costNanoUsd) : null,
      unpricedCallCount: this.callCount - this.pricedCallCount,
      priceSources: {
        userRule: this.pricedCallCount - this.routerTablePricedCount - this.computeTimePricedCount,
        routerTable: this.routerTablePricedCount,
        computeTime: this.computeTimePricedCount,
        noRule: this.callCount - this.pricedCallCount - this.unitUnmeasuredCount,
        unitUnmeasured: this.unitUnmeasuredCount,
      },
      firstCallAt: isoOrNull(this.firstCallAt),
      lastCallAt: isoOrNull(this.lastCallAt),
    };
  }
}

/** Adds every figure of `source` to `target`, as if its calls had been added there. */
export function mergeStats(target: StatsAccumulator, source: StatsAccumulator): void {
  if (source.callCount === 0 && source.latency.count === 0) {
    return;
  }
  target.callCount += source.callCount;
  target.textCount += source.textCount;
  target.characterCount += source.characterCount;
  target.errorCount += source.errorCount;
  target.totalTimeMs += source.totalTimeMs;
  target.inputTokens += source.inputTokens;
  target.outputTokens += source.outputTokens;
  target.tokensUnmeasuredCount += source.tokensUnmeasuredCount;
  target.attemptCount += source.attemptCount;
  target.rateLimitedCount += source.rateLimitedCount;
  target.computeTimeMs += source.computeTimeMs;
  target.invalidHeaderCount += source.invalidHeaderCount;
  target.costNanoUsd += source.costNanoUsd;
  target.pricedCallCount += source.pricedCallCount;
  target.routerTablePricedCount += source.routerTablePricedCount;
  target.computeTimePricedCount += source.computeTimePricedCount;
  target.unitUnmeasuredCount += source.unitUnmeasuredCount;
  for (const [key, count] of source.errors ?? []) {
    incrementBounded((target.errors ??= new Map()), key, count);
  }
  for (const [key, count] of source.statusCodes ?? []) {
    incrementBounded((target.statusCodes ??= new Map()), key, count);
  }
  target.minTimeMs = Math.min(target.minTimeMs, source.minTimeMs);
  target.maxTimeMs = Math.max(target.maxTimeMs, source.maxTimeMs);
  target.latency.merge(source.latency);
  if (source.firstCallAt !== 0 && (target.firstCallAt === 0 || source.firstCallAt < target.firstCallAt)) {
    target.firstCallAt = source.firstCallAt;
  }
  target.lastCallAt = Math.max(target.lastCallAt, source.lastCallAt);
}

function newStats(): StatsAccumulator {
  return new StatsAccumulator();
}

/** Figures per model within `maxModels` names, the rest under `other` (see {@link BoundedDimensionMap}). */
export function modelStatsMap(maxModels: number): BoundedDimensionMap<StatsAccumulator> {
  return new BoundedDimensionMap(maxModels, newStats, mergeStats);
}

/** Figures per name in every dimension (model, provider, billTo), each within `maxNames` (see `CALL_DIMENSIONS`). */
export function dimensionStatsMaps(maxNames: number): DimensionMaps<StatsAccumulator> {
  return new DimensionMaps(maxNames, newStats, mergeStats);
}

/** A name's figures as JSON: those of `StatsAccumulator`, even for the scope itself (a dimension's one name). */
function modelStatsJson(stats: StatsAccumulator): HfModelStats {
  return StatsAccumulator.prototype.toJSON.call(stats);
}

/** Adds a call to one dimension's figures. */
export function addCallTo(stats: StatsAccumulator, call: HfCallRecord): void {
  stats.add(call);
}

/** Running figures of a scope (global, or one session): its own, and per name of each dimension within a bound. */
export class ScopeAccumulator extends StatsAccumulator {
  private dimensions: DimensionMaps<StatsAccumulator> | undefined = undefined;
  budgetRejectedCount = 0;

  constructor(private readonly maxModels: number) {
    super();
  }

  override add(call: HfCallRecord): void {
    // Before the scope's own figures: a dimension's first name may copy them (see `DimensionMaps`).
    (this.dimensions ??= new DimensionMaps(this.maxModels, newStats, mergeStats, this)).add(call, addCallTo);
    super.add(call);
  }

  override reset(): void {
    super.reset();
    this.dimensions = undefined;
    this.budgetRejectedCount = 0;
  }

  override toJSON(): HfStats {
    const dimensions = this.dimensions?.toObject(modelStatsJson) ?? { byModel: {}, byProvider: {}, byBillTo: {} };
    return { ...super.toJSON(), ...dimensions, budgetRejectedCount: this.budgetRejectedCount };
  }
}
