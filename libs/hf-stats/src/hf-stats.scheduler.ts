import {
  Inject,
  Injectable,
  Optional,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Interval, SchedulerRegistry } from '@nestjs/schedule';
import { HfStatsLogService } from './logging/hf-stats-log.service.js';

/** Name of the summary job in the app's `SchedulerRegistry`, when the app imports `ScheduleModule.forRoot()`. */
export const HF_STATS_SUMMARY_JOB = 'nestjs-hf-stats:summary';

/** Period of the `hf_summary` line. */
export const HF_STATS_SUMMARY_INTERVAL_MS = 10_000;

/**
 * Runs the `hf_summary` job every 10 seconds, exactly once per period whether or not the app
 * imports `ScheduleModule.forRoot()`. The library never imports it itself: a second `forRoot()`
 * would be a second module instance, and every `@Interval` of the app would run twice.
 *
 * - With the app's `ScheduleModule`, its explorer finds the `@Interval` of {@link logSummary} and
 *   mounts it under {@link HF_STATS_SUMMARY_JOB}.
 * - Without it, this class mounts its own timer. The timer also starts with the app's module,
 *   because the explorer may not have mounted the job yet at this class's bootstrap (or never, with
 *   `intervals: false`); its first tick looks the job up in the registry and stops when it is there.
 *
 * The job runs outside any request: nothing in it reads the CLS context.
 */
@Injectable()
export class HfStatsScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private ownTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: HfStatsLogService,
    @Optional() @Inject(SchedulerRegistry) private readonly registry: SchedulerRegistry | undefined,
  ) {}

  /** The summary job. Never throws. */
  @Interval(HF_STATS_SUMMARY_JOB, HF_STATS_SUMMARY_INTERVAL_MS)
  logSummary(): void {
    this.log.writeSummary();
  }

  onApplicationBootstrap(): void {
    if (this.ownTimer === undefined) {
      this.ownTimer = setInterval(() => this.onOwnTick(), HF_STATS_SUMMARY_INTERVAL_MS);
      this.ownTimer.unref();
    }
  }

  beforeApplicationShutdown(): void {
    this.stopOwnTimer();
  }

  private onOwnTick(): void {
    if (this.isMountedByApp()) {
      this.stopOwnTimer();
      return;
    }
    this.logSummary();
  }

  private isMountedByApp(): boolean {
    try {
      return this.registry?.doesExist('interval', HF_STATS_SUMMARY_JOB) === true;
    } catch {
      return false;
    }
  }

  private stopOwnTimer(): void {
    clearInterval(this.ownTimer);
    this.ownTimer = undefined;
  }
}
