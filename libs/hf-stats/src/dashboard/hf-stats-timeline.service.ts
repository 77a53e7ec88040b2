import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { HF_STATS_OPTIONS } from '../hf-stats.internal-constants.js';
import { HfStatsOptions } from '../hf-stats.options.js';
import { HfStatsService } from '../hf-stats.service.js';
import type { HfTimeline } from './timeline.interfaces.js';
import { TimelineRing } from './timeline-ring.js';

/**
 * Keeps the per-minute timeline of the last `timelineMinutes` minutes, heard from `HfStatsService`
 * like the log file is, and answers `GET /hf-stats/timeline`.
 */
@Injectable()
export class HfStatsTimelineService implements OnModuleInit, OnModuleDestroy {
  private readonly ring: TimelineRing;
  private removeListener: (() => void) | undefined;

  constructor(
    @Inject(HF_STATS_OPTIONS) options: HfStatsOptions,
    private readonly stats: HfStatsService,
  ) {
    this.ring = new TimelineRing(options.timelineMinutes, options.maxModels);
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

  /** The last `minutes` minutes (default and at most `timelineMinutes`), oldest first, the current one last. */
  getTimeline(minutes: number = this.ring.minutes): HfTimeline {
    return this.ring.read(Date.now(), minutes);
  }

  /** Empties the timeline. */
  reset(): void {
    this.ring.reset();
  }
}
