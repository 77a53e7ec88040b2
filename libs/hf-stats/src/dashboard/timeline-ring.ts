import type { HfCallRecord } from '../stats/hf-call-record.js';
import { BoundedDimensionMap } from '../stats/bounded-dimension-map.js';
import { UNKNOWN_MODEL } from '../stats/stats-accumulator.js';
import { MinuteFigures, TIMELINE_BUCKET_MS, timelineOf, type MinuteSlot } from './timeline-minute.js';
import type { HfTimeline } from './timeline.interfaces.js';

export { TIMELINE_BUCKET_MS } from './timeline-minute.js';

function newMinute(): MinuteFigures {
  return new MinuteFigures();
}

function mergeMinute(into: MinuteFigures, from: MinuteFigures): void {
  into.merge(from);
}

/** One slot of the ring: the minute it holds now, and that minute's figures. */
interface Slot extends MinuteSlot {
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
    const slot = this.slotFor(Math.floor(call.endedAt / TIMELINE_BUCKET_MS), 1);
    if (slot !== undefined) {
      slot.global.add(call);
      slot.byModel.admit(call.model ?? UNKNOWN_MODEL).add(call);
    }
  }

  /** Adds the figures of one minute (a flushed part of the timeline), as if its calls had been added here. */
  addMinute(minute: number, figures: MinuteSlot): void {
    const slot = this.slotFor(minute, figures.global.callCount);
    if (slot !== undefined) {
      slot.global.merge(figures.global);
      for (const [model, modelFigures] of figures.byModel) {
        slot.byModel.admit(model, modelFigures.callCount).merge(modelFigures);
      }
    }
  }

  /** The figures of `minute` when the ring holds it. */
  slot(minute: number): MinuteSlot | undefined {
    const slot = minute < 0 ? undefined : this.slots[minute % this.minutes];
    return slot?.minute === minute ? slot : undefined;
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
    const held = Array.from({ length: count }, (_, i) => this.slot(first + i));
    return timelineOf(held, first, now, maxModelSeries, this.dropped);
  }

  /** The slot of `minute`, reused when it held a minute that left the window; undefined (dropped) when too old. */
  private slotFor(minute: number, calls: number): Slot | undefined {
    const slot = this.slots[minute % this.minutes];
    if (slot.minute > minute) {
      // The slot already holds a later minute: these calls ended before the window.
      this.dropped += calls;
      return undefined;
    }
    if (slot.minute < minute) {
      // The slot held a minute that has left the window (one lap ago, or after any idle gap): reuse it.
      slot.minute = minute;
      slot.global = new MinuteFigures();
      slot.byModel.clear();
    }
    return slot;
  }
}
