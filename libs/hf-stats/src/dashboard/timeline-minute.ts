import type { HfCallRecord } from '../stats/hf-call-record.js';
import { LatencyHistogram } from '../stats/latency-histogram.js';
import { nanoUsdToUsd } from '../stats/pricing.js';
import { roundMs } from '../stats/round-ms.js';
import type { HfTimeline, HfTimelinePoint } from './timeline.interfaces.js';

/** One minute of the timeline. */
export const TIMELINE_BUCKET_MS = 60_000;

/** Additive figures of a minute, written to Redis with HINCRBY (all integers: nano-dollars, counts). */
const ADDITIVE = [
  'callCount',
  'textCount',
  'errorCount',
  'inputTokens',
  'outputTokens',
  'costNanoUsd',
  'pricedCallCount',
] as const;

/** The figures of one minute, for one scope (global or one model). */
export class MinuteFigures {
  callCount = 0;
  textCount = 0;
  errorCount = 0;
  inputTokens = 0;
  outputTokens = 0;
  costNanoUsd = 0;
  pricedCallCount = 0;
  maxTimeMs = 0;
  readonly latency = new LatencyHistogram();

  add(call: HfCallRecord): void {
    this.callCount += 1;
    this.textCount += call.textCount;
    if (!call.ok) {
      this.errorCount += 1;
    }
    this.inputTokens += call.inputTokens ?? 0;
    this.outputTokens += call.outputTokens ?? 0;
    if (call.costNanoUsd !== undefined) {
      this.costNanoUsd += call.costNanoUsd;
      this.pricedCallCount += 1;
    }
    if (call.durationMs > this.maxTimeMs) {
      this.maxTimeMs = call.durationMs;
    }
    this.latency.record(call.durationMs);
  }

  /** Adds another minute's figures, as if its calls had been added here. */
  merge(other: MinuteFigures): this {
    for (const field of ADDITIVE) {
      this[field] += other[field];
    }
    this.maxTimeMs = Math.max(this.maxTimeMs, other.maxTimeMs);
    this.latency.merge(other.latency);
    return this;
  }

  /**
   * Appends the hash updates that add these figures to a minute stored in Redis, under `scope` (`t` or
   * `m:<encoded model>`): `op field value` triples, `i` HINCRBY, `>` keep the maximum. The durations go as their
   * histogram buckets (`h:<index>`), which add up exactly across replicas, so the cluster's p95 is that of every
   * replica's calls together, within the histogram's 2 %.
   */
  writeOps(scope: string, out: string[]): void {
    for (const field of ADDITIVE) {
      if (this[field] !== 0) {
        out.push('i', `${scope}|${field}`, String(this[field]));
      }
    }
    out.push('>', `${scope}|maxTimeMs`, String(this.maxTimeMs));
    for (const [index, count] of this.latency.toBuckets()) {
      out.push('i', `${scope}|h:${index}`, String(count));
    }
  }

  /** Reads one field written by {@link writeOps} (the part after `|`); others are ignored. */
  readField(name: string, raw: string, buckets: Array<[number, number]>): void {
    const value = Number(raw);
    if (!Number.isFinite(value)) {
      return;
    }
    if ((ADDITIVE as readonly string[]).includes(name)) {
      this[name as (typeof ADDITIVE)[number]] += value;
    } else if (name === 'maxTimeMs') {
      this.maxTimeMs = Math.max(this.maxTimeMs, value);
    } else if (name.startsWith('h:')) {
      buckets.push([Number(name.slice(2)), value]);
    }
  }

  toPoint(at: number): HfTimelinePoint {
    const p95 = this.latency.percentile(95);
    return {
      at: new Date(at).toISOString(),
      callCount: this.callCount,
      textCount: this.textCount,
      errorCount: this.errorCount,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      estimatedCostUsd: this.pricedCallCount > 0 ? nanoUsdToUsd(this.costNanoUsd) : null,
      p95TimeMs: p95 === null ? null : roundMs(Math.min(p95, this.maxTimeMs)),
    };
  }
}

/** The figures of one minute: global and per model (at most `maxModels` names and `other`). */
export interface MinuteSlot {
  readonly global: MinuteFigures;
  readonly byModel: Iterable<[string, MinuteFigures]> & { get(model: string): MinuteFigures | undefined };
}

const EMPTY = new MinuteFigures();

/** The `limit` names with the most calls, ties by name. */
function topModels(callsByModel: Map<string, number>, limit: number): string[] {
  if (callsByModel.size <= limit) {
    return [...callsByModel.keys()];
  }
  return [...callsByModel]
    .toSorted((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, Math.max(0, limit))
    .map(([model]) => model);
}

/**
 * The timeline answer for the minutes `first, first + 1, ...` (`held[i]` the figures of minute `first + i`, or
 * undefined without calls), up to `now`. Per-model series for at most `maxModelSeries` models: those with the most
 * calls in the window.
 */
export function timelineOf(
  held: ReadonlyArray<MinuteSlot | undefined>,
  first: number,
  now: number,
  maxModelSeries: number,
  droppedCallCount: number,
): HfTimeline {
  const callsByModel = new Map<string, number>();
  for (const slot of held) {
    for (const [model, figures] of slot?.byModel ?? []) {
      callsByModel.set(model, (callsByModel.get(model) ?? 0) + figures.callCount);
    }
  }
  const models = topModels(callsByModel, maxModelSeries);
  const pointsOf = (figuresOf: (slot: MinuteSlot) => MinuteFigures | undefined): HfTimelinePoint[] =>
    held.map((slot, i) => {
      const figures = slot === undefined ? undefined : figuresOf(slot);
      return (figures ?? EMPTY).toPoint((first + i) * TIMELINE_BUCKET_MS);
    });
  // fromEntries defines own keys, so a model named `__proto__` stays a key like any other.
  const byModel: Record<string, HfTimelinePoint[]> = Object.fromEntries(
    models.toSorted().map((model) => [model, pointsOf((slot) => slot.byModel.get(model))]),
  );
  return {
    bucketMs: TIMELINE_BUCKET_MS,
    minutes: held.length,
    from: new Date(first * TIMELINE_BUCKET_MS).toISOString(),
    to: new Date(now).toISOString(),
    global: pointsOf((slot) => slot.global),
    byModel,
    omittedModelCount: callsByModel.size - models.length,
    droppedCallCount,
  };
}
