import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { HF_STATS_OPTIONS } from '../hf-stats.internal-constants.js';
import { HfStatsSettings } from '../hf-stats.options.js';
import { HfStatsService } from '../hf-stats.service.js';
import { HfStatsRecorder } from '../recording/hf-stats.recorder.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionEndReason, HfSessionStats } from '../stats/hf-stats.interfaces.js';
import type { HfStatsLogSettings } from './hf-stats-log.options.js';
import { openRotatingLogFile } from './log-file.js';
import { callLogEntry, formatLogEntry, sessionEndLogEntry, summaryLogEntry } from './log-lines.js';
import { StatsLogWriter } from './log-writer.js';

/**
 * The statistics log: an `hf_call` line per tracked call, an `hf_session_end` line per session end
 * (both heard from `HfStatsRecorder`), and the `hf_summary` line that `HfStatsScheduler` asks for.
 * Idle when the `log` option is `false`. Internal.
 */
@Injectable()
export class HfStatsLogService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('HfStats');
  private readonly settings: HfStatsLogSettings | false;
  private writer: StatsLogWriter | undefined;
  private removeListener: (() => void) | undefined;

  constructor(
    @Inject(HF_STATS_OPTIONS) options: HfStatsSettings,
    private readonly stats: HfStatsRecorder,
    /** The public reads, as an app would make them. */
    private readonly service: HfStatsService,
  ) {
    this.settings = options.log;
  }

  onModuleInit(): void {
    const settings = this.settings;
    if (settings === false || this.writer !== undefined) {
      return;
    }
    const writer = new StatsLogWriter(settings, openRotatingLogFile, this.logger);
    this.writer = writer;
    writer.open();
    this.removeListener = this.stats.addListener({
      onCall: settings.perCall ? (call) => this.onCall(writer, settings, call) : undefined,
      onSessionEnd: (session, reason) => this.onSessionEnd(writer, settings, session, reason),
    });
  }

  /**
   * Writes an `hf_summary` line when at least one session is active; nothing otherwise. Also opens
   * the file again after a failure, when due. Never throws.
   */
  writeSummary(): void {
    const { writer, settings } = this;
    if (writer === undefined || settings === false) {
      return;
    }
    try {
      writer.maintain();
      const activeSessionCount = this.stats.store.activeSessionCount();
      if (activeSessionCount === 0) {
        return;
      }
      writer.enqueue('summary', () => {
        const sessions = this.stats.store.recentActiveSessions(settings.maxSessionsPerSummary);
        const global = this.service.getGlobalStats();
        const entry = summaryLogEntry(global, sessions, activeSessionCount, writer.droppedLineCount, Date.now());
        return formatLogEntry(entry, settings.format);
      });
    } catch (error) {
      this.stats.reportFailure(error);
    }
  }

  /** Lines waiting for the disk: bounded by `log.maxPendingLines` (twice that for other lines than `hf_call`). */
  get pendingLineCount(): number {
    return this.writer?.pendingLineCount ?? 0;
  }

  /** Resolves once every line so far is on disk (or dropped because the file can't be written). */
  flush(): Promise<void> {
    return this.writer?.flush() ?? Promise.resolve();
  }

  /**
   * Runs after every `beforeApplicationShutdown` hook, so the `hf_session_end` lines of the sessions
   * that `HfStatsRecorder` ends at shutdown are written too.
   */
  async onApplicationShutdown(): Promise<void> {
    this.removeListener?.();
    this.removeListener = undefined;
    await this.writer?.close();
  }

  private onCall(writer: StatsLogWriter, settings: HfStatsLogSettings, call: HfCallRecord): void {
    writer.enqueue('call', () => formatLogEntry(callLogEntry(call), settings.format));
  }

  private onSessionEnd(
    writer: StatsLogWriter,
    settings: HfStatsLogSettings,
    session: HfSessionStats,
    reason: HfSessionEndReason,
  ): void {
    writer.enqueue('session', () => formatLogEntry(sessionEndLogEntry(session, reason, Date.now()), settings.format));
  }
}
