import path from 'node:path';
import { Injectable } from '@nestjs/common';
import { Interval, SchedulerRegistry, type ScheduleModuleOptions } from '@nestjs/schedule';
import { ClsService } from 'nestjs-cls';
import { HF_STATS_SUMMARY_JOB, HfStatsService } from 'nestjs-hf-stats';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogApp, makeLogDir, ofEvent, readJsonLines, type LogApp } from './fixtures/log/log-app.js';

/** The app's own interval job, to check that importing HfStatsModule does not make it run twice. */
@Injectable()
class AppTicker {
  ticks = 0;

  @Interval(1_000)
  tick(): void {
    this.ticks += 1;
  }
}

// Only the timers that drive the jobs and the clock: the file stream needs real I/O.
const FAKED = ['setInterval', 'clearInterval', 'Date'] as const;

const scheduleCases: Array<[string, ScheduleModuleOptions | false]> = [
  ['without the app importing ScheduleModule', false],
  ['with the app importing ScheduleModule.forRoot()', {}],
  ['with the app importing ScheduleModule.forRoot({ intervals: false })', { intervals: false }],
];

describe('hf_summary every 10 seconds (fake timers)', () => {
  let running: LogApp | undefined;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: [...FAKED] });
  });

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
    vi.useRealTimers();
  });

  async function closeAndRead(): Promise<ReturnType<typeof readJsonLines>> {
    const app = running?.app;
    const dir = running?.dir ?? '';
    running = undefined;
    await app?.close();
    return readJsonLines(path.join(dir, 'hf_api_stats.log'));
  }

  describe.each(scheduleCases)('%s', (_name, schedule) => {
    it('writes exactly one summary per 10 s while a session is active, and none while none is', async () => {
      running = await createLogApp(makeLogDir(), { schedule });
      const stats = running.app.get(HfStatsService);

      vi.advanceTimersByTime(25_000);
      stats.runInSession('s-1', () => stats.record({ durationMs: 5, texts: 2 }));
      vi.advanceTimersByTime(35_000);
      stats.endSession('s-1');
      vi.advanceTimersByTime(40_000);

      const summaries = ofEvent(await closeAndRead(), 'hf_summary');
      // Ticks at 30, 40, 50 and 60 s found s-1 active; those at 10, 20 and after its end found none.
      expect(summaries).toHaveLength(4);
      expect(summaries[0]).toMatchObject({
        activeSessionCount: 1,
        omittedSessionCount: 0,
        droppedLineCount: 0,
        global: { callCount: 1, textCount: 2, errorCount: 0, totalTimeMs: 5 },
        sessions: [{ sessionId: 's-1', active: true, callCount: 1, textCount: 2 }],
      });
      const times = summaries.map((line) => Date.parse(line.time));
      expect(times.slice(1).map((time, index) => time - times[index])).toEqual([10_000, 10_000, 10_000]);
    });

    it('runs the job outside any CLS context', async () => {
      running = await createLogApp(makeLogDir(), { schedule });
      const stats = running.app.get(HfStatsService);
      const cls = running.app.get(ClsService);
      const clsActiveInJob: boolean[] = [];
      const getGlobalStats = stats.getGlobalStats.bind(stats);
      vi.spyOn(stats, 'getGlobalStats').mockImplementation(() => {
        clsActiveInJob.push(cls.isActive());
        return getGlobalStats();
      });

      stats.runInSession('s-1', () => stats.record({ durationMs: 1 }));
      vi.advanceTimersByTime(10_000);

      expect(clsActiveInJob).toEqual([false]);
      expect(ofEvent(await closeAndRead(), 'hf_summary')).toHaveLength(1);
    });
  });

  it("leaves the app's own @Interval jobs running once, and mounts the summary in its registry", async () => {
    running = await createLogApp(makeLogDir(), { schedule: {}, providers: [AppTicker] });
    const stats = running.app.get(HfStatsService);
    stats.runInSession('s-1', () => stats.record({ durationMs: 1 }));

    vi.advanceTimersByTime(20_000);

    expect(running.app.get(AppTicker).ticks).toBe(20);
    expect(running.app.get(SchedulerRegistry).doesExist('interval', HF_STATS_SUMMARY_JOB)).toBe(true);
    expect(ofEvent(await closeAndRead(), 'hf_summary')).toHaveLength(2);
  });

  it('lists at most maxSessionsPerSummary sessions, the most recently active first, and counts the others', async () => {
    running = await createLogApp(makeLogDir(), { log: { maxSessionsPerSummary: 2 } });
    const stats = running.app.get(HfStatsService);
    for (const sessionId of ['a', 'b', 'c', 'd', 'e']) {
      stats.runInSession(sessionId, () => stats.record({ durationMs: 1 }));
      vi.advanceTimersByTime(1_000);
    }
    vi.advanceTimersByTime(5_000);

    const [summary] = ofEvent(await closeAndRead(), 'hf_summary');
    expect(summary).toMatchObject({ activeSessionCount: 5, omittedSessionCount: 3, global: { callCount: 5 } });
    expect((summary.sessions as Array<{ sessionId: string }>).map((session) => session.sessionId)).toEqual(['e', 'd']);
  });

  it('still counts the active sessions with maxSessionsPerSummary: 0', async () => {
    running = await createLogApp(makeLogDir(), { log: { maxSessionsPerSummary: 0 } });
    const stats = running.app.get(HfStatsService);
    stats.runInSession('a', () => stats.record({ durationMs: 1 }));
    vi.advanceTimersByTime(10_000);

    const [summary] = ofEvent(await closeAndRead(), 'hf_summary');
    expect(summary).toMatchObject({ activeSessionCount: 1, omittedSessionCount: 1, sessions: [] });
  });
});
