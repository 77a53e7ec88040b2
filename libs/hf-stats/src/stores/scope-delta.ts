import { CALL_DIMENSIONS, dimensionOfField, type DimensionMaps } from '../stats/call-dimensions.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfStats } from '../stats/hf-stats.interfaces.js';
import { LatencyHistogram } from '../stats/latency-histogram.js';
import {
  addCallTo,
  dimensionStatsMaps,
  incrementBounded,
  mergeStats,
  StatsAccumulator,
} from '../stats/stats-accumulator.js';
import { decodeField, encodeField } from './field-encoding.js';

/** Additive integer figures of a `StatsAccumulator`, stored with HINCRBY. */
const INTEGER_FIELDS = [
  'callCount',
  'textCount',
  'characterCount',
  'errorCount',
  'inputTokens',
  'outputTokens',
  'tokensUnmeasuredCount',
  'attemptCount',
  'rateLimitedCount',
  'invalidHeaderCount',
  'costNanoUsd',
  'pricedCallCount',
  'routerTablePricedCount',
  'computeTimePricedCount',
  'unitUnmeasuredCount',
] as const;

/** Additive fractional figures, stored with HINCRBYFLOAT. */
const FLOAT_FIELDS = ['totalTimeMs', 'computeTimeMs'] as const;

/** One hash field update of a flush: `i` HINCRBY, `f` HINCRBYFLOAT, `<` keep the minimum, `>` keep the maximum. */
export type FieldOp = 'i' | 'f' | '<' | '>';

/**
 * Figures of one scope (global, or one session) in a form that can be merged, written to a Redis hash as
 * increments and read back: a total and one `StatsAccumulator` per name of each dimension (`CALL_DIMENSIONS`:
 * model, provider, billTo), bounded like `ScopeAccumulator`. A dimension's figures go to the hash fields
 * `<letter>:<name>|...`; the flush script bounds each letter's names apart.
 */
export class ScopeDelta {
  readonly total = new StatsAccumulator();
  readonly dimensions: DimensionMaps<StatsAccumulator>;

  constructor(maxModels: number) {
    this.dimensions = dimensionStatsMaps(maxModels);
  }

  get isEmpty(): boolean {
    return this.total.callCount === 0;
  }

  /** Folds one call. Allocates only for a name not seen before in this delta. */
  add(call: HfCallRecord): void {
    this.total.add(call);
    this.dimensions.add(call, addCallTo);
  }

  merge(other: ScopeDelta): this {
    mergeStats(this.total, other.total);
    for (const [index, name, stats] of other.dimensions.entries()) {
      mergeStats(this.dimensions.admit(index, name, stats.callCount), stats);
    }
    return this;
  }

  /** The figures as `GET /hf-stats` shows them. */
  toJSON(budgetRejectedCount = 0): HfStats {
    return { ...this.total.toJSON(), ...this.dimensions.toObject((stats) => stats.toJSON()), budgetRejectedCount };
  }

  /** Appends the hash updates that add this delta to a stored scope: `op, field, value` triples. */
  writeOps(out: string[]): void {
    writeStatsOps('t', this.total, out);
    for (const [index, name, stats] of this.dimensions.entries()) {
      writeStatsOps(`${CALL_DIMENSIONS[index].field}:${encodeField(name)}`, stats, out);
    }
  }

  /** Rebuilds a scope from the fields of a stored hash (fields it does not know are ignored). */
  static fromHash(fields: Iterable<[string, string]>, maxModels: number): ScopeDelta {
    const delta = new ScopeDelta(maxModels);
    const histograms = new Map<StatsAccumulator, Array<[number, number]>>();
    for (const [field, raw] of fields) {
      const bar = field.indexOf('|');
      if (bar < 0) {
        continue;
      }
      const scope = field.slice(0, bar);
      const name = field.slice(bar + 1);
      let stats: StatsAccumulator;
      if (scope === 't') {
        stats = delta.total;
      } else {
        const index = scope.charAt(1) === ':' ? dimensionOfField(scope.charAt(0)) : undefined;
        if (index === undefined) {
          continue;
        }
        // Weight 0: fields arrive in any order, so no name may take another's slot halfway through.
        stats = delta.dimensions.admit(index, decodeField(scope.slice(2)), 0);
      }
      readField(stats, name, Number(raw), histograms);
    }
    for (const [stats, buckets] of histograms) {
      stats.latency.merge(LatencyHistogram.fromBuckets(buckets));
    }
    return delta;
  }
}

function writeStatsOps(scope: string, stats: StatsAccumulator, out: string[]): void {
  if (stats.callCount === 0) {
    return;
  }
  for (const field of INTEGER_FIELDS) {
    if (stats[field] !== 0) {
      out.push('i', `${scope}|${field}`, String(stats[field]));
    }
  }
  for (const field of FLOAT_FIELDS) {
    if (stats[field] !== 0) {
      out.push('f', `${scope}|${field}`, String(stats[field]));
    }
  }
  out.push('<', `${scope}|minTimeMs`, String(stats.minTimeMs), '>', `${scope}|maxTimeMs`, String(stats.maxTimeMs));
  out.push(
    '<',
    `${scope}|firstCallAt`,
    String(stats.firstCallAt),
    '>',
    `${scope}|lastCallAt`,
    String(stats.lastCallAt),
  );
  for (const [key, count] of stats.errors ?? []) {
    out.push('i', `${scope}|e:${encodeField(key)}`, String(count));
  }
  for (const [key, count] of stats.statusCodes ?? []) {
    out.push('i', `${scope}|s:${encodeField(key)}`, String(count));
  }
  for (const [index, count] of stats.latency.toBuckets()) {
    out.push('i', `${scope}|h:${index}`, String(count));
  }
}

function readField(
  stats: StatsAccumulator,
  name: string,
  value: number,
  histograms: Map<StatsAccumulator, Array<[number, number]>>,
): void {
  if (!Number.isFinite(value)) {
    return;
  }
  if ((INTEGER_FIELDS as readonly string[]).includes(name) || (FLOAT_FIELDS as readonly string[]).includes(name)) {
    stats[name as (typeof INTEGER_FIELDS)[number]] += value;
  } else if (name === 'minTimeMs') {
    stats.minTimeMs = Math.min(stats.minTimeMs, value);
  } else if (name === 'maxTimeMs') {
    stats.maxTimeMs = Math.max(stats.maxTimeMs, value);
  } else if (name === 'firstCallAt') {
    stats.firstCallAt = value;
  } else if (name === 'lastCallAt') {
    stats.lastCallAt = value;
  } else if (name.startsWith('e:')) {
    incrementBounded((stats.errors ??= new Map()), decodeField(name.slice(2)), value);
  } else if (name.startsWith('s:')) {
    incrementBounded((stats.statusCodes ??= new Map()), decodeField(name.slice(2)), value);
  } else if (name.startsWith('h:')) {
    let buckets = histograms.get(stats);
    if (buckets === undefined) {
      buckets = [];
      histograms.set(stats, buckets);
    }
    buckets.push([Number(name.slice(2)), value]);
  }
}
