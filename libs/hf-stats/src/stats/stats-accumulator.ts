import type { HfCallRecord } from './hf-call-record.js';
import type { HfModelStats, HfStats } from './hf-stats.interfaces.js';
import { LatencyHistogram } from './latency-histogram.js';
import { nanoUsdToUsd } from './pricing.js';

/** Label under which names past a bound are counted. */
export const OTHER = 'other';
/** Model label of calls whose model is not known. */
export const UNKNOWN_MODEL = 'unknown';
/** Distinct error types or status codes kept per scope before the rest count under `other`. */
export const MAX_COUNTER_KEYS = 32;

function roundMs(value: number): number {
  return Math.round(value * 1000) / 1000;
}

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
      firstCallAt: isoOrNull(this.firstCallAt),
      lastCallAt: isoOrNull(this.lastCallAt),
    };
  }
}

/** Running figures of a scope (global, or one session): its own, and per model within a bound. */
export class ScopeAccumulator extends StatsAccumulator {
  private byModel: Map<string, StatsAccumulator> | undefined = undefined;
  budgetRejectedCount = 0;

  constructor(private readonly maxModels: number) {
    super();
  }

  override add(call: HfCallRecord): void {
    super.add(call);
    this.modelStats(call.model ?? UNKNOWN_MODEL).add(call);
  }

  override reset(): void {
    super.reset();
    this.byModel = undefined;
    this.budgetRejectedCount = 0;
  }

  override toJSON(): HfStats {
    // fromEntries defines keys, so a model named `__proto__` stays a key rather than a prototype.
    const byModel: Record<string, HfModelStats> = Object.fromEntries(
      [...(this.byModel ?? [])].map(([model, stats]) => [model, stats.toJSON()]),
    );
    return { ...super.toJSON(), byModel, budgetRejectedCount: this.budgetRejectedCount };
  }

  private modelStats(model: string): StatsAccumulator {
    const models = (this.byModel ??= new Map());
    let stats = models.get(model);
    if (stats === undefined) {
      // Up to maxModels names get their own figures; later ones share `other`.
      const key = models.size - (models.has(OTHER) ? 1 : 0) < this.maxModels ? model : OTHER;
      stats = models.get(key);
      if (stats === undefined) {
        stats = new StatsAccumulator();
        models.set(key, stats);
      }
    }
    return stats;
  }
}
