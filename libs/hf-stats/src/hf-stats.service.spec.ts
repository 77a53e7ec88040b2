import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HfStatsModule } from './hf-stats.module.js';
import type { HfStatsModuleOptions } from './hf-stats.options.js';
import { HfStatsService } from './hf-stats.service.js';
import { latestRecorder } from './decorators/call-site-registry.js';
import { HfStatsRecorder } from './recording/hf-stats.recorder.js';

async function start(options: HfStatsModuleOptions = {}): Promise<{ stats: HfStatsService; moduleRef: TestingModule }> {
  const moduleRef = await Test.createTestingModule({
    imports: [HfStatsModule.forRoot({ controller: false, log: false, ...options })],
  }).compile();
  await moduleRef.init();
  return { stats: moduleRef.get(HfStatsService), moduleRef };
}

describe('HfStatsService', () => {
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  describe('record()', () => {
    it('records a call by hand, in the current session or the one given', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      stats.record({ durationMs: 12, texts: 3, model: 'm' });
      stats.runInSession('job', () => stats.record({ durationMs: 8, texts: 1, error: new Error('x') }));
      stats.record({ durationMs: 5, sessionId: 'other', ok: false });
      stats.runInSession('job', () => stats.record({ durationMs: 1, sessionId: null }));

      expect(stats.getGlobalStats()).toMatchObject({
        callCount: 4,
        textCount: 4,
        errorCount: 2,
        totalTimeMs: 26,
        minTimeMs: 1,
        maxTimeMs: 12,
        avgTimeMs: 6.5,
      });
      expect(stats.getSessionStats('job')).toMatchObject({ callCount: 1, textCount: 1, errorCount: 1, active: true });
      expect(stats.getSessionStats('other')).toMatchObject({ callCount: 1, errorCount: 1 });
    });

    it.each([
      [{ durationMs: -1 }, /record: invalid "durationMs": got -1/],
      [{ durationMs: Number.POSITIVE_INFINITY }, /"durationMs"/],
      [{ durationMs: '5' }, /"durationMs": got a string of length 1, expected/],
      [{ durationMs: 1, texts: 1.5 }, /"texts": got 1.5/],
      [{ durationMs: 1, texts: -2 }, /"texts"/],
      [{ durationMs: 1, model: 7 }, /"model"/],
      [{ durationMs: 1, ok: 'yes' }, /"ok"/],
      [{ durationMs: 1, sessionId: 'has space' }, /"sessionId"/],
      [null, /"call"/],
    ])('refuses %j with a clear error and records nothing', async (input, message) => {
      const started = await start();
      moduleRef = started.moduleRef;
      expect(() => started.stats.record(input as never)).toThrow(message);
      expect(started.stats.getGlobalStats().callCount).toBe(0);
    });
  });

  describe('runInSession()', () => {
    it('returns what fn returns, sync or async, and starts the session', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      expect(stats.runInSession('a', () => 41 + 1)).toBe(42);
      await expect(stats.runInSession('b', async () => 'done')).resolves.toBe('done');
      expect(stats.listSessions().map((session) => session.sessionId)).toEqual(expect.arrayContaining(['a', 'b']));
      expect(stats.getSessionStats('a')).toMatchObject({ active: true, callCount: 0, endedAt: null });
    });

    it('carries the session through awaits, timers and calls that are not awaited', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      let later: Promise<void> | undefined;
      await stats.runInSession('job', async () => {
        expect(stats.currentSessionId()).toBe('job');
        await new Promise((resolve) => setTimeout(resolve, 1));
        stats.record({ durationMs: 1 });
        later = new Promise<void>((resolve) =>
          setTimeout(() => {
            stats.record({ durationMs: 1 });
            resolve();
          }, 5),
        );
      });
      await later;
      expect(stats.currentSessionId()).toBeUndefined();
      expect(stats.getSessionStats('job')?.callCount).toBe(2);
    });

    it('nests: the inner session wins inside, the outer one is back after', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      stats.runInSession('outer', () => {
        stats.runInSession('inner', () => expect(stats.currentSessionId()).toBe('inner'));
        expect(stats.currentSessionId()).toBe('outer');
      });
    });

    it('ends the session when asked, after the promise settles, even on failure', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      const pending = stats.runInSession(
        'job',
        async () => {
          await Promise.resolve();
          expect(stats.getSessionStats('job')?.active).toBe(true);
          throw new Error('job failed');
        },
        { endSession: true },
      );
      await expect(pending).rejects.toThrow('job failed');
      expect(stats.getSessionStats('job')).toMatchObject({ active: false });
      expect(stats.getSessionStats('job')?.endedAt).not.toBeNull();
      expect(() =>
        stats.runInSession(
          'sync-job',
          () => {
            throw new TypeError('sync failure');
          },
          { endSession: true },
        ),
      ).toThrow('sync failure');
      expect(stats.getSessionStats('sync-job')?.active).toBe(false);
    });

    it.each([['x'.repeat(129)], ['bad id'], ['line\nbreak'], [''], [42]])(
      'refuses the session id %j with a clear error',
      async (sessionId) => {
        const started = await start();
        moduleRef = started.moduleRef;
        expect(() => started.stats.runInSession(sessionId as string, () => 1)).toThrow(
          /runInSession: invalid "sessionId".*1 to 128 characters/,
        );
      },
    );
  });

  describe('session lifecycle', () => {
    it('endSession() ends an active session once', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      stats.record({ durationMs: 1, sessionId: 's' });
      expect(stats.endSession('s')).toBe(true);
      expect(stats.endSession('s')).toBe(false);
      expect(stats.endSession('unknown')).toBe(false);
      expect(stats.getSessionStats('s')).toMatchObject({ active: false, callCount: 1 });
    });

    it('ends a session after the idle timeout, not before', async () => {
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
      const started = await start({ sessionIdleTimeoutMs: 60_000 });
      moduleRef = started.moduleRef;
      const { stats } = started;
      stats.record({ durationMs: 1, sessionId: 'idle' });
      vi.advanceTimersByTime(30_000);
      stats.record({ durationMs: 1, sessionId: 'busy' });
      vi.advanceTimersByTime(29_000);
      expect(stats.getSessionStats('idle')?.active).toBe(true);
      vi.advanceTimersByTime(2_000);
      expect(stats.getSessionStats('idle')?.active).toBe(false);
      expect(stats.getSessionStats('busy')?.active).toBe(true);
      vi.advanceTimersByTime(30_000);
      expect(stats.getSessionStats('busy')?.active).toBe(false);
      // Ended sessions stay readable.
      expect(stats.listSessions()).toHaveLength(2);
    });

    it('ends every active session at shutdown', async () => {
      const started = await start();
      const { stats } = started;
      stats.record({ durationMs: 1, sessionId: 'a' });
      stats.record({ durationMs: 1, sessionId: 'b' });
      await started.moduleRef.close();
      expect(stats.listSessions().every((session) => !session.active)).toBe(true);
      expect(latestRecorder()).toBeUndefined();
      // A call that finishes during shutdown counts in its ended session without reopening it.
      stats.record({ durationMs: 1, sessionId: 'a' });
      expect(stats.getSessionStats('a')).toMatchObject({ active: false, callCount: 2 });
    });

    it('at maxSessions, counts new sessions globally only and warns once', async () => {
      const warn = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      const started = await start({ maxSessions: 2 });
      moduleRef = started.moduleRef;
      const { stats } = started;
      for (const sessionId of ['a', 'b', 'c', 'd']) {
        stats.record({ durationMs: 1, sessionId });
      }
      expect(
        stats
          .listSessions()
          .map((session) => session.sessionId)
          .toSorted(),
      ).toEqual(['a', 'b']);
      expect(stats.getGlobalStats().callCount).toBe(4);
      expect(stats.getSnapshot().sessionOverflowCount).toBe(2);
      expect(warn).toHaveBeenCalledTimes(1);
      // Ending a session makes room: the next new session evicts it.
      stats.endSession('a');
      stats.record({ durationMs: 1, sessionId: 'e' });
      expect(stats.getSessionStats('e')?.callCount).toBe(1);
      expect(stats.getSessionStats('a')).toBeUndefined();
    });
  });

  describe('reset()', () => {
    it('zeroes one session, keeping it, or forgets everything', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      stats.record({ durationMs: 1, sessionId: 'a', texts: 2 });
      stats.record({ durationMs: 1, sessionId: 'b' });
      stats.reset('a');
      expect(stats.getSessionStats('a')).toMatchObject({ callCount: 0, textCount: 0, active: true });
      expect(stats.getGlobalStats().callCount).toBe(2);
      stats.reset();
      expect(stats.getGlobalStats().callCount).toBe(0);
      expect(stats.listSessions()).toEqual([]);
    });

    it('a call in flight across reset() counts in its session, started again, as one that begins after it', async () => {
      const started = await start();
      moduleRef = started.moduleRef;
      const { stats } = started;
      const recorder = moduleRef.get(HfStatsRecorder);
      const call = recorder.startCall({
        sessionId: 'a',
        model: 'm',
        operation: undefined,
        textCount: 2,
        characterCount: undefined,
        usageOf: undefined,
      });
      stats.reset();
      expect(stats.getSessionStats('a')).toBeUndefined();
      call.succeed();
      expect(stats.getSessionStats('a')).toMatchObject({ callCount: 1, textCount: 2, active: true });
      expect(stats.getGlobalStats().callCount).toBe(1);
    });
  });

  it('a call that outlives its session and its eviction counts in the session of the same id started since', async () => {
    const started = await start({ maxSessions: 2, sessionEndTimeoutMs: 0 });
    moduleRef = started.moduleRef;
    const { stats } = started;
    const recorder = moduleRef.get(HfStatsRecorder);
    const start1 = { sessionId: 'a', model: 'm', operation: undefined, textCount: 1, characterCount: undefined };
    const late = recorder.startCall({ ...start1, usageOf: undefined });
    stats.endSession('a');
    // Two more sessions: 'a', ended, is evicted to make room for the second.
    stats.record({ durationMs: 1, sessionId: 'b' });
    stats.endSession('b');
    stats.record({ durationMs: 1, sessionId: 'c' });
    expect(stats.getSessionStats('a')).toBeUndefined();
    stats.record({ durationMs: 1, sessionId: 'a', texts: 3 });
    late.succeed();
    expect(stats.getSessionStats('a')).toMatchObject({ callCount: 2, textCount: 4 });
  });

  it('lists active sessions only, most recent first, with a limit', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const started = await start();
    moduleRef = started.moduleRef;
    const { stats } = started;
    for (const sessionId of ['s1', 's2', 's3']) {
      vi.advanceTimersByTime(1000);
      stats.record({ durationMs: 1, sessionId });
    }
    stats.endSession('s3');
    expect(stats.listSessions({ active: true }).map((session) => session.sessionId)).toEqual(['s2', 's1']);
    expect(stats.listSessions({ limit: 2 }).map((session) => session.sessionId)).toEqual(['s2', 's1']);
    expect(stats.listSessions().map((session) => session.sessionId)).toEqual(['s2', 's1', 's3']);
  });
});
