import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HF_STATS_OPTIONS } from '../hf-stats.internal-constants.js';
import { HfStatsSettings } from '../hf-stats.options.js';
import { HfStatsRecorder } from '../recording/hf-stats.recorder.js';
import type { HfSharedTimeline, SharedTimelineBatch } from '../stores/redis-shared-timeline.js';
import type { HfTimeline } from './timeline.interfaces.js';
import { TimelineBuffer } from './timeline-buffer.js';
import { TIMELINE_BUCKET_MS, timelineOf, type MinuteSlot } from './timeline-minute.js';
import { mergedMinute, minuteOfHash } from './timeline-parts.js';
import { TimelineRing } from './timeline-ring.js';

/**
 * Most points (`global` plus every series of `byModel`) in one timeline answer: two series of a week
 * of minutes, about 3 MB of JSON. Per-model detail gives way first.
 */
export const HF_TIMELINE_MAX_POINTS = 20_160;

/**
 * Keeps the per-minute timeline of the last `timelineMinutes` minutes, heard from `HfStatsRecorder`
 * like the log file is, and answers `GET /hf-stats/timeline`. With the Redis store the timeline is the cluster's:
 * each call goes to a buffer (as it went to the ring), written to Redis once per flush interval; the ring keeps this
 * replica's own minutes once written, for when Redis can't be read.
 */
@Injectable()
export class HfStatsTimelineService implements OnModuleInit, OnModuleDestroy {
  private readonly ring: TimelineRing;
  private readonly maxModels: number;
  private readonly shared: HfSharedTimeline | undefined;
  /** With a shared timeline: recorded and not yet taken for a write; taken and not yet applied. */
  private pending: TimelineBuffer;
  private sending: TimelineBuffer | undefined;
  private removeListener: (() => void) | undefined;

  constructor(
    @Inject(HF_STATS_OPTIONS) options: HfStatsSettings,
    private readonly stats: HfStatsRecorder,
  ) {
    this.ring = new TimelineRing(options.timelineMinutes, options.maxModels);
    this.maxModels = options.maxModels;
    this.shared = stats.store.sharedTimeline;
    // A minute more than the window on each side: a flush straddles minutes, and clocks step.
    this.pending = new TimelineBuffer(options.timelineMinutes + 2, options.maxModels);
  }

  onModuleInit(): void {
    const { shared } = this;
    if (shared === undefined) {
      this.removeListener ??= this.stats.addListener({ onCall: (call) => this.ring.add(call) });
      return;
    }
    if (this.removeListener === undefined) {
      const removeCalls = this.stats.addListener({ onCall: (call) => this.pending.add(call) });
      // A minute key lives two minutes past the window after its last write.
      const detach = shared.attach(
        { take: () => this.take(), applied: () => this.applied() },
        (this.ring.minutes + 2) * TIMELINE_BUCKET_MS,
      );
      this.removeListener = () => {
        removeCalls();
        detach();
      };
    }
  }

  onModuleDestroy(): void {
    // The shared timeline stays attached: the store's last flush, at shutdown, writes what is buffered.
    this.removeListener?.();
    this.removeListener = undefined;
  }

  /** Most minutes `getTimeline` can answer: the `timelineMinutes` option. */
  get maxMinutes(): number {
    return this.ring.minutes;
  }

  /** Most per-model series `getTimeline` can answer: every name kept, `"other"` included. */
  get maxModelSeries(): number {
    return this.maxModels + 1;
  }

  /**
   * This process's timeline: the last `minutes` minutes (default and at most `timelineMinutes`), oldest first, the
   * current one last, with per-model series for the `models` models with the most calls in the window (default:
   * all), as many as fit in {@link HF_TIMELINE_MAX_POINTS} points with the global series. With the Redis store,
   * this replica's own calls only: {@link fetchTimeline} reads the cluster's.
   */
  getTimeline(minutes: number = this.ring.minutes, models = Number.POSITIVE_INFINITY): HfTimeline {
    return this.answer(Date.now(), minutes, models);
  }

  /**
   * What `GET <path>/timeline` answers: with the Redis store the whole cluster's timeline, read from Redis now
   * (after a write under way, one call per 10 minutes, sent together), with this replica's calls not yet written;
   * when Redis can't be read, this replica's own with `partial: true`. Otherwise {@link getTimeline}. Never rejects.
   */
  async fetchTimeline(minutes: number = this.ring.minutes, models = Number.POSITIVE_INFINITY): Promise<HfTimeline> {
    const { shared } = this;
    if (shared === undefined) {
      return this.getTimeline(minutes, models);
    }
    const now = Date.now();
    const [first, count] = this.window(minutes, now);
    try {
      const hashes = await shared.read(first, count);
      // The window of the read, whatever minute it is now.
      const timeline = this.answer(now, minutes, models, (i) => minuteOfHash(hashes[i], this.maxModels));
      return { ...timeline, partial: false };
    } catch {
      return { ...this.getTimeline(minutes, models), partial: true };
    }
  }

  /** Empties this process's timeline (what Redis holds stays: `reset({ cluster: true })` clears it). */
  reset(): void {
    this.ring.reset();
    this.pending = new TimelineBuffer(this.ring.minutes + 2, this.maxModels);
  }

  private take(): SharedTimelineBatch | undefined {
    if (this.pending.isEmpty) {
      return undefined;
    }
    this.sending = this.pending;
    this.pending = new TimelineBuffer(this.ring.minutes + 2, this.maxModels);
    return { ops: this.sending.toOps() };
  }

  /** A batch is in Redis: its minutes join this replica's own, shown when Redis can't be read. */
  private applied(): void {
    for (const [minute, slot] of this.sending?.minutes ?? []) {
      this.ring.addMinute(minute, slot);
    }
    this.sending = undefined;
  }

  private window(minutes: number, now: number): [first: number, count: number] {
    const count = Math.min(Math.max(1, Math.floor(minutes)), this.ring.minutes);
    return [Math.floor(now / TIMELINE_BUCKET_MS) - count + 1, count];
  }

  /**
   * The answer for the window ending at `now`: each minute from `cluster` (Redis's, when read) or else the ring (this
   * replica's written minutes), with what is being written and what is buffered here.
   */
  private answer(
    now: number,
    minutes: number,
    models: number,
    cluster?: (i: number) => MinuteSlot | undefined,
  ): HfTimeline {
    const [first, count] = this.window(minutes, now);
    const fit = Math.floor(HF_TIMELINE_MAX_POINTS / count) - 1;
    if (this.shared === undefined) {
      return this.ring.read(now, count, Math.min(models, fit));
    }
    const held = Array.from({ length: count }, (_, i) => {
      const minute = first + i;
      const parts = [
        cluster === undefined ? this.ring.slot(minute) : cluster(i),
        this.sending?.minutes.get(minute),
        this.pending.minutes.get(minute),
      ];
      return mergedMinute(parts, this.maxModels);
    });
    const dropped = this.ring.droppedCallCount + (this.sending?.droppedCallCount ?? 0) + this.pending.droppedCallCount;
    return timelineOf(held, first, now, Math.min(models, fit), dropped);
  }
}
