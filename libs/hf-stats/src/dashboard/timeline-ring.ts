import type { HfCallRecord } from '../stats/hf-call-record.js';
import { LatencyHistogram } from '../stats/latency-histogram.js';
import { nanoUsdToUsd } from '../stats/pricing.js';
import { roundMs } from '../stats/round-ms.js';
import { BoundedDimensionMap } from '../stats/bounded-dimension-map.js';
import { UNKNOWN_MODEL } from '../stats/stats-accumulator.js';
import type { HfTimeline, HfTimelinePoint } from './timeline.interfaces.js';

/** One minute of the timeline. */
export const TIMELINE_BUCKET_MS = 60_000;

/** The figures of one minute, for one scope (global or one model). */
class MinuteFigures {
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
  merge(other: MinuteFigures): void {
    this.callCount += other.callCount;
    this.textCount += other.textCount;
    this.errorCount += other.errorCount;
    this.inputTokens += other.inputTokens;
    this.outputTokens += other.outputTokens;
    this.costNanoUsd += other.costNanoUsd;
    this.pricedCallCount += other.pricedCallCount;
    this.maxTimeMs = Math.max(this.maxTimeMs, other.maxTimeMs);
    this.latency.merge(other.latency);
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

const EMPTY = new MinuteFigures();

function newMinute(): MinuteFigures {
  return new MinuteFigures();
}

function mergeMinute(into: MinuteFigures, from: MinuteFigures): void {
  into.merge(from);
}

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

/** One slot of the ring: the minute it holds now, and that minute's figures. */
interface Slot {
  /** `floor(epochMs / 60000)`; -1 when the slot never held a minute. */
  minute: number;
  global: MinuteFigures;
  byModel: BoundedDimensionMap<MinuteFigures>;
}

/**
 * Per-minute figures of the last `minutes` minutes, globally and per model: a fixed ring of slots,
 * one per minute, each reused when its minute comes round again. Memory is bounded by
 * `minutes * (1 + maxModels)` figures (plus as many counters of names under `other`), however long
 * the process runs or idles.
 */
export class TimelineRing {
  private readonly slots: Slot[];
  private dropped = 0;

  constructor(
    readonly minutes: number,
    private readonly maxModels: number,
  ) {
    this.slots = Array.from({ length: minutes }, () => ({
      minute: -1,
      global: new MinuteFigures(),
      byModel: new BoundedDimensionMap(maxModels, newMinute, mergeMinute),
    }));
  }

  /** Calls that ended before the window the ring holds: ignored and counted. */
  get droppedCallCount(): number {
    return this.dropped;
  }

  add(call: HfCallRecord): void {
    const minute = Math.floor(call.endedAt / TIMELINE_BUCKET_MS);
    const slot = this.slots[minute % this.minutes];
    if (slot.minute > minute) {
      // The slot already holds a later minute: this call ended before the window.
      this.dropped += 1;
      return;
    }
    if (slot.minute < minute) {
      // The slot held a minute that has left the window (one lap ago, or after any idle gap): reuse it.
      slot.minute = minute;
      slot.global = new MinuteFigures();
      slot.byModel.clear();
    }
    slot.global.add(call);
    slot.byModel.admit(call.model ?? UNKNOWN_MODEL).add(call);
  }

  reset(): void {
    for (const slot of this.slots) {
      slot.minute = -1;
      slot.global = new MinuteFigures();
      slot.byModel.clear();
    }
    this.dropped = 0;
  }

  /**
   * The last `minutes` minutes up to the one holding `now`, oldest first; minutes without calls read 0.
   * Per-model series for at most `maxModelSeries` models: those with the most calls in the window.
   */
  read(now: number, minutes = this.minutes, maxModelSeries = Number.POSITIVE_INFINITY): HfTimeline {
    const count = Math.min(Math.max(1, Math.floor(minutes)), this.minutes);
    const last = Math.floor(now / TIMELINE_BUCKET_MS);
    const first = last - count + 1;
    const held: Array<Slot | undefined> = [];
    const callsByModel = new Map<string, number>();
    for (let minute = first; minute <= last; minute += 1) {
      const slot = minute < 0 ? undefined : this.slots[minute % this.minutes];
      const current = slot?.minute === minute ? slot : undefined;
      held.push(current);
      for (const [model, figures] of current?.byModel ?? []) {
        callsByModel.set(model, (callsByModel.get(model) ?? 0) + figures.callCount);
      }
    }
    const models = topModels(callsByModel, maxModelSeries);
    const pointsOf = (figuresOf: (slot: Slot) => MinuteFigures | undefined): HfTimelinePoint[] =>
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
      minutes: count,
      from: new Date(first * TIMELINE_BUCKET_MS).toISOString(),
      to: new Date(now).toISOString(),
      global: pointsOf((slot) => slot.global),
      byModel,
      omittedModelCount: callsByModel.size - models.length,
      droppedCallCount: this.dropped,
    };
  }
}
