import path from 'node:path';
import { HfStatsService } from 'nestjs-hf-stats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogApp, makeLogDir, ofEvent, readJsonLines, type LogApp, type LogLine } from './fixtures/log/log-app.js';

function endsBySession(lines: LogLine[]): Map<string, LogLine[]> {
  const ends = new Map<string, LogLine[]>();
  for (const line of ofEvent(lines, 'hf_session_end')) {
    const sessionId = String(line.sessionId);
    ends.set(sessionId, [...(ends.get(sessionId) ?? []), line]);
  }
  return ends;
}

describe('hf_session_end: exactly once per session, and nothing lost at shutdown', () => {
  let running: LogApp | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await running?.app.close();
    running = undefined;
  });

  it('writes one line per session when endSession, runInSession, the idle timeout and shutdown race', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const dir = makeLogDir();
    running = await createLogApp(dir, { module: { sessionIdleTimeoutMs: 60_000 } });
    const { app } = running;
    const stats = app.get(HfStatsService);
    const call = () => stats.record({ durationMs: 2, texts: 1 });

    stats.runInSession('run-ended', call, { endSession: true });
    for (const sessionId of ['explicit', 'idle', 'race-end-first', 'race-sweep-first', 'at-shutdown']) {
      stats.runInSession(sessionId, call);
    }
    let release: (() => void) | undefined;
    const pending = stats.runInSession('pending-run', () => new Promise<void>((resolve) => (release = resolve)), {
      endSession: true,
    });

    expect(stats.endSession('explicit')).toBe(true);
    vi.advanceTimersByTime(30_000);
    stats.runInSession('at-shutdown', call);
    stats.runInSession('pending-run', call);
    vi.advanceTimersByTime(29_999);
    // One millisecond before the idle sweep takes them: end one by hand first.
    expect(stats.endSession('race-end-first')).toBe(true);
    vi.advanceTimersByTime(1);
    // The sweep took the others; ending them by hand now is a no-op.
    expect(stats.endSession('race-sweep-first')).toBe(false);
    expect(stats.endSession('idle')).toBe(false);
    expect(stats.endSession('explicit')).toBe(false);
    const expectedTotals = new Map(stats.listSessions().map((session) => [session.sessionId, session]));

    running = undefined;
    await app.close();
    // The run ends after shutdown ended its session: no second line.
    release?.();
    await pending;
    expect(stats.endSession('pending-run')).toBe(false);

    const ends = endsBySession(readJsonLines(path.join(dir, 'hf_api_stats.log')));
    expect(
      Object.fromEntries([...ends].map(([sessionId, lines]) => [sessionId, lines.map((line) => line.reason)])),
    ).toEqual({
      'run-ended': ['ended'],
      explicit: ['ended'],
      'race-end-first': ['ended'],
      idle: ['idle'],
      'race-sweep-first': ['idle'],
      'at-shutdown': ['shutdown'],
      'pending-run': ['shutdown'],
    });
    // Each line has the session's totals; an ended session's end time is the line's time.
    for (const [sessionId, [line]] of ends) {
      const expected = expectedTotals.get(sessionId);
      const endedAt = expected?.endedAt ?? line.time;
      expect(line).toMatchObject({ callCount: expected?.callCount, startedAt: expected?.startedAt, endedAt });
      expect(line.time).toBe(line.endedAt);
    }
  });

  it('puts every pending line on disk before the process exits on SIGTERM', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir);
    const { app } = running;
    const stats = app.get(HfStatsService);
    const logPath = path.join(dir, 'hf_api_stats.log');

    // Only Nest's handler may hear this SIGTERM, not the test runner's.
    const otherListeners = process.listeners('SIGTERM');
    process.removeAllListeners('SIGTERM');
    let linesAtExit: LogLine[] | undefined;
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => {
      linesAtExit = readJsonLines(logPath);
      return true;
    });
    try {
      app.enableShutdownHooks(['SIGTERM']);
      for (let index = 0; index < 2_000; index += 1) {
        stats.runInSession(`s-${index % 20}`, () => stats.record({ durationMs: 1, texts: 1, model: 'm' }));
      }
      process.emit('SIGTERM', 'SIGTERM');
      await vi.waitFor(() => expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM'), { timeout: 5_000 });
    } finally {
      for (const listener of otherListeners) {
        process.on('SIGTERM', listener);
      }
    }
    running = undefined;

    expect(ofEvent(linesAtExit ?? [], 'hf_call')).toHaveLength(2_000);
    const ends = ofEvent(linesAtExit ?? [], 'hf_session_end');
    expect(ends).toHaveLength(20);
    expect(ends.every((line) => line.reason === 'shutdown' && line.callCount === 100)).toBe(true);
  });
});
