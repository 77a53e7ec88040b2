import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HF_STATS_OPTIONS } from '../hf-stats.internal-constants.js';
import { HfStatsSettings } from '../hf-stats.options.js';
import { HfStatsRecorder } from '../recording/hf-stats.recorder.js';
import type { HfTimeline } from './timeline.interfaces.js';
import { TimelineRing } from './timeline-ring.js';

/**
 * Most points (`global` plus every series of `byModel`) in one timeline answer: two series of a week
 * of minutes, about 3 MB of JSON. Per-model detail gives way first.
 */
export const HF_TIMELINE_MAX_POINTS = 20_160;

/**
 * Keeps the per-minute timeline of the last `timelineMinutes` minutes, heard from `HfStatsRecorder`
 * like the log file is, and answers `GET /hf-stats/timeline`.
 */
@Injectable()
export class HfStatsTimelineService implements OnModuleInit, OnModuleDestroy {
  private readonly ring: TimelineRing;
  private readonly maxModels: number;
  private removeListener: (() => void) | undefined;

  constructor(
    @Inject(HF_STATS_OPTIONS) options: HfStatsSettings,
    private readonly stats: HfStatsRecorder,
  ) {
    this.ring = new TimelineRing(options.timelineMinutes, options.maxModels);
    this.maxModels = options.maxModels;
  }

  onModuleInit(): void {
    this.removeListener ??= this.stats.addListener({ onCall: (call) => this.ring.add(call) });
  }

  onModuleDestroy(): void {
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
   * The last `minutes` minutes (default and at most `timelineMinutes`), oldest first, the current one last,
   * with per-model series for the `models` models with the most calls in the window (default: all), as many
   * as fit in {@link HF_TIMELINE_MAX_POINTS} points with the global series.
   */
  getTimeline(minutes: number = this.ring.minutes, models = Number.POSITIVE_INFINITY): HfTimeline {
    const count = Math.min(Math.max(1, Math.floor(minutes)), this.ring.minutes);
    const fit = Math.floor(HF_TIMELINE_MAX_POINTS / count) - 1;
    return this.ring.read(Date.now(), count, Math.min(models, fit));
  }

  /** Empties the timeline. */
  reset(): void {
    this.ring.reset();
  }
}
