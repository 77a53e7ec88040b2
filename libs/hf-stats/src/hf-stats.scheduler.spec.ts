import type { SchedulerRegistry } from '@nestjs/schedule';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HF_STATS_SUMMARY_JOB, HfStatsScheduler } from './hf-stats.scheduler.js';
import type { HfStatsLogService } from './logging/hf-stats-log.service.js';

function scheduler(registry?: Pick<SchedulerRegistry, 'doesExist'>) {
  const log = { writeSummary: vi.fn<() => void>() };
  const instance = new HfStatsScheduler(log as unknown as HfStatsLogService, registry as SchedulerRegistry | undefined);
  instance.onApplicationBootstrap();
  return { instance, log };
}

describe('HfStatsScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs the summary on its own timer when the app has no ScheduleModule, until shutdown', () => {
    const { instance, log } = scheduler();
    vi.advanceTimersByTime(30_000);
    expect(log.writeSummary).toHaveBeenCalledTimes(3);
    instance.beforeApplicationShutdown();
    vi.advanceTimersByTime(30_000);
    expect(log.writeSummary).toHaveBeenCalledTimes(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stops its own timer at the first tick when the app's scheduler mounted the job", () => {
    const doesExist = vi.fn<SchedulerRegistry['doesExist']>(
      (type, name) => type === 'interval' && name === HF_STATS_SUMMARY_JOB,
    );
    const { log } = scheduler({ doesExist });
    vi.advanceTimersByTime(30_000);
    expect(log.writeSummary).not.toHaveBeenCalled();
    expect(doesExist).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("keeps its own timer when the app's scheduler does not run intervals", () => {
    const { log } = scheduler({ doesExist: () => false });
    vi.advanceTimersByTime(30_000);
    expect(log.writeSummary).toHaveBeenCalledTimes(3);
  });

  it('runs the summary when the decorated method is called, as the app scheduler does', () => {
    const { instance, log } = scheduler({ doesExist: () => true });
    instance.logSummary.call(instance);
    expect(log.writeSummary).toHaveBeenCalledTimes(1);
    instance.beforeApplicationShutdown();
  });
});
