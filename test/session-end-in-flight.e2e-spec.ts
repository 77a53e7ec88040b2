import { HfStatsService } from 'nestjs-hf-stats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GatedHfClient, settle } from './fixtures/budget/gated-hf.client.js';
import {
  createLogApp,
  makeLogDir,
  ofEvent,
  readJsonLines,
  type LogApp,
  type LogAppOptions,
  type LogLine,
} from './fixtures/log/log-app.js';

describe('a session end counts every call that started in the session', () => {
  let running: LogApp | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    await running?.app.close();
    running = undefined;
  });

  const boot = async (module: LogAppOptions['module'] = {}) => {
    running = await createLogApp(makeLogDir(), { module, providers: [GatedHfClient] });
    const { app, logPath } = running;
    return { app, stats: app.get(HfStatsService), gated: app.get(GatedHfClient), logPath };
  };

  /** Closes the app and returns the end lines by session. */
  const endLines = async (): Promise<Record<string, LogLine[]>> => {
    const { app, logPath } = running as LogApp;
    running = undefined;
    await app.close();
    const ends: Record<string, LogLine[]> = {};
    for (const line of ofEvent(readJsonLines(logPath), 'hf_session_end')) {
      (ends[String(line.sessionId)] ??= []).push(line);
    }
    return ends;
  };

  it('runInSession with endSession: an un-awaited call is counted in the one end line', async () => {
    const { stats, gated } = await boot();
    let call: Promise<unknown> | undefined;
    stats.runInSession(
      'job',
      () => {
        call = gated.chat({ model: 'm', messages: ['a'] });
      },
      { endSession: true },
    );
    // The end waits for the call: the session is still active, and ending it again is a no-op.
    expect(stats.getSessionStats('job')).toMatchObject({ active: true, inFlightCallCount: 1 });
    expect(stats.endSession('job')).toBe(false);
    gated.gate.finish();
    await call;
    expect(stats.getSessionStats('job')).toMatchObject({ active: false, callCount: 1 });
    expect(stats.getSessionStats('job')).not.toHaveProperty('inFlightCallCount');
    const ends = await endLines();
    expect(ends.job).toHaveLength(1);
    expect(ends.job[0]).toMatchObject({ reason: 'ended', callCount: 1 });
    expect(ends.job[0]).not.toHaveProperty('inFlightCallCount');
  });

  it('endSession during calls: the end waits for them, calls that start meanwhile included', async () => {
    const { stats, gated } = await boot();
    const first = stats.runInSession('chat', () => gated.chat({ model: 'm', messages: ['a'] }));
    expect(stats.endSession('chat')).toBe(true);
    const second = stats.runInSession('chat', () => gated.chat({ model: 'm', messages: ['b'] }));
    await settle();
    gated.gate.finish(1);
    await first;
    expect(stats.getSessionStats('chat')).toMatchObject({ active: true, callCount: 1, inFlightCallCount: 1 });
    gated.gate.finish();
    await second;
    expect(stats.getSessionStats('chat')).toMatchObject({ active: false, callCount: 2 });
    const ends = await endLines();
    expect(ends.chat.map((line) => [line.reason, line.callCount])).toEqual([['ended', 2]]);
  });

  it('waits at most sessionEndTimeoutMs; a call that outlives it is flagged and does not reopen the session', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { stats, gated } = await boot({ sessionEndTimeoutMs: 5_000 });
    const call = stats.runInSession('slow', () => gated.chat({ model: 'm', messages: ['a'] }));
    expect(stats.endSession('slow')).toBe(true);
    vi.advanceTimersByTime(4_000);
    expect(stats.getSessionStats('slow')?.active).toBe(true);
    vi.advanceTimersByTime(1_000);
    expect(stats.getSessionStats('slow')).toMatchObject({ active: false, callCount: 0, inFlightCallCount: 1 });
    gated.gate.finish();
    await call;
    // Counted in the figures, without reopening the session.
    expect(stats.getSessionStats('slow')).toMatchObject({ active: false, callCount: 1 });
    const ends = await endLines();
    expect(ends.slow).toHaveLength(1);
    expect(ends.slow[0]).toMatchObject({ reason: 'ended', callCount: 0, inFlightCallCount: 1 });
  });

  it('the idle timeout waits for a call in flight too', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { stats, gated } = await boot({ sessionIdleTimeoutMs: 60_000 });
    const call = stats.runInSession('long', () => gated.chat({ model: 'm', messages: ['a'] }));
    vi.advanceTimersByTime(61_000);
    expect(stats.getSessionStats('long')?.active).toBe(true);
    gated.gate.finish();
    await call;
    expect(stats.getSessionStats('long')).toMatchObject({ active: false, callCount: 1 });
    const ends = await endLines();
    expect(ends.long.map((line) => [line.reason, line.callCount])).toEqual([['idle', 1]]);
  });

  it('sessionEndTimeoutMs 0: the end is written at once and a late call does not reopen it', async () => {
    const { stats, gated } = await boot({ sessionEndTimeoutMs: 0 });
    const call = stats.runInSession('now', () => gated.chat({ model: 'm', messages: ['a'] }));
    expect(stats.endSession('now')).toBe(true);
    expect(stats.getSessionStats('now')).toMatchObject({ active: false, inFlightCallCount: 1 });
    gated.gate.finish();
    await call;
    expect(stats.getSessionStats('now')).toMatchObject({ active: false, callCount: 1 });
    // A call that starts after the end starts the session again, as before.
    const later = stats.runInSession('now', () => gated.chat({ model: 'm', messages: ['b'] }));
    await settle();
    gated.gate.finish();
    await later;
    const ends = await endLines();
    expect(ends.now.map((line) => [line.reason, line.callCount])).toEqual([
      ['ended', 0],
      ['shutdown', 2],
    ]);
  });

  it('a stream broken off settles its call; one dropped mid-way holds the end at most sessionEndTimeoutMs', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    // No wait at shutdown for the dropped call, which never ends.
    const { stats, gated } = await boot({ sessionEndTimeoutMs: 5_000, shutdownTimeoutMs: 0 });
    await stats.runInSession('broken', async () => {
      for await (const chunk of gated.stream({ model: 'm', messages: ['a'] })) {
        expect(chunk).toBe('first');
        break;
      }
    });
    expect(stats.getSessionStats('broken')).not.toHaveProperty('inFlightCallCount');
    expect(stats.endSession('broken')).toBe(true);
    expect(stats.getSessionStats('broken')).toMatchObject({ active: false, callCount: 1 });

    // Read once, then dropped without return(): the call never ends, so the end waits for it, boundedly.
    await stats.runInSession('dropped', async () => {
      await gated.stream({ model: 'm', messages: ['a'] }).next();
    });
    expect(stats.endSession('dropped')).toBe(true);
    expect(stats.getSessionStats('dropped')).toMatchObject({ active: true, inFlightCallCount: 1 });
    vi.advanceTimersByTime(5_000);
    expect(stats.getSessionStats('dropped')).toMatchObject({ active: false, inFlightCallCount: 1 });
    const ends = await endLines();
    expect(ends.broken.map((line) => [line.reason, line.callCount])).toEqual([['ended', 1]]);
    expect(ends.dropped).toEqual([expect.objectContaining({ reason: 'ended', callCount: 0, inFlightCallCount: 1 })]);
  });
});
