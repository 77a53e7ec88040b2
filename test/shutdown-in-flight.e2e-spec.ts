import path from 'node:path';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HfStatsModule, HfStatsService } from 'nestjs-hf-stats';
import request from 'supertest';
import { HfStatsRecorder } from '../libs/hf-stats/src/recording/hf-stats.recorder.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawnFixture } from './fixtures/redis/spawn-fixture.js';
import { GatedHfClient, settle } from './fixtures/budget/gated-hf.client.js';
import { createLogApp, makeLogDir, ofEvent, readJsonLines, type LogApp } from './fixtures/log/log-app.js';
import { deleteKeys, redisTestsEnabled, SHARED_REDIS_URL, uniquePrefix } from './fixtures/redis/redis-support.js';

const redisEnabled = await redisTestsEnabled('shutdown-in-flight.e2e-spec');
const FIXTURES = new URL('./fixtures/', import.meta.url);

/**
 * Lets the gated calls finish one turn of the event loop after the module's shutdown has begun: later than
 * the end of the sessions and the start of the last flush, which do not wait for them unless told to.
 */
function finishWhenShutdownBegins(stats: HfStatsRecorder, gated: GatedHfClient): void {
  const original = stats.beforeApplicationShutdown.bind(stats);
  vi.spyOn(stats, 'beforeApplicationShutdown').mockImplementation(() => {
    const shutdown = original();
    setImmediate(() => gated.gate.finish());
    return shutdown;
  });
}

describe('shutdown waits for the tracked calls in flight', () => {
  let running: LogApp | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    vi.restoreAllMocks();
    await running?.app.close();
    running = undefined;
  });

  it('counts a call in flight in its session end line, and ends a session whose only call was in flight', async () => {
    running = await createLogApp(makeLogDir(), { providers: [GatedHfClient] });
    const { app, logPath } = running;
    const stats = app.get(HfStatsService);
    const gated = app.get(GatedHfClient);
    const calls = [
      stats.runInSession('only-call', () => gated.chat({ model: 'm', messages: ['a'] })),
      stats.runInSession('two-calls', () => gated.chat({ model: 'm', messages: ['a'] })),
      stats.runInSession('two-calls', () => gated.chat({ model: 'm', messages: ['a'] })),
    ];
    await settle();
    gated.gate.finish(2);
    await Promise.all(calls.slice(0, 2));
    running = undefined;
    finishWhenShutdownBegins(app.get(HfStatsRecorder), gated);
    await Promise.all([app.close(), calls[2]]);

    const lines = readJsonLines(logPath);
    expect(ofEvent(lines, 'hf_call')).toHaveLength(3);
    const ends = ofEvent(lines, 'hf_session_end').map((line) => [line.sessionId, line.reason, line.callCount]);
    expect(ends.toSorted((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['only-call', 'shutdown', 1],
      ['two-calls', 'shutdown', 2],
    ]);
  });

  it('waits at most shutdownTimeoutMs, then reports the calls still running', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    running = await createLogApp(makeLogDir(), { module: { shutdownTimeoutMs: 2_000 }, providers: [GatedHfClient] });
    const { app, logPath, logger } = running;
    const stats = app.get(HfStatsService);
    const gated = app.get(GatedHfClient);
    const hung = stats.runInSession('hung', () => gated.chat({ model: 'm', messages: ['a'] }));
    running = undefined;
    let closed = false;
    const closing = app.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(1_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    await closing;
    expect(logger.messages('warn').filter((message) => message.includes('shutdownTimeoutMs'))).toEqual([
      expect.stringContaining('1 tracked calls were still running 2000 ms after shutdown began'),
    ]);
    const ends = ofEvent(readJsonLines(logPath), 'hf_session_end');
    expect(ends).toEqual([expect.objectContaining({ sessionId: 'hung', callCount: 0, inFlightCallCount: 1 })]);
    gated.gate.finish();
    await hung;
  });

  it.runIf(redisEnabled)('with the Redis store, the call in flight reaches Redis in the last flush', async () => {
    const prefix = uniquePrefix();
    const store = { type: 'redis' as const, url: SHARED_REDIS_URL, keyPrefix: prefix, flushIntervalMs: 60_000 };
    const boot = async () => {
      @Module({
        imports: [HfStatsModule.forRoot({ controller: false, log: false, store })],
        providers: [GatedHfClient],
      })
      class RedisShutdownModule {}
      const moduleRef = await Test.createTestingModule({ imports: [RedisShutdownModule] }).compile();
      await moduleRef.init();
      return moduleRef;
    };
    try {
      const writer = await boot();
      const gated = writer.get(GatedHfClient);
      const stats = writer.get(HfStatsService);
      // The first flush (at start) is over, so that the last one begins as soon as shutdown calls it.
      await stats.flush();
      const call = stats.runInSession('s', () => gated.chat({ model: 'm', messages: ['a'] }));
      finishWhenShutdownBegins(writer.get(HfStatsRecorder), gated);
      await Promise.all([writer.close(), call]);

      const reader = await boot();
      await reader.get(HfStatsService).flush();
      expect(reader.get(HfStatsService).getGlobalStats().callCount).toBe(1);
      await reader.close();
    } finally {
      await deleteKeys(SHARED_REDIS_URL, prefix);
    }
  });

  it('SIGTERM to a real process mid-call: the client gets its answer and hf_session_end counts the call', async () => {
    const logPath = path.join(makeLogDir(), 'hf_api_stats.log');
    const child = spawnFixture(new URL('shutdown/shutdown.app.ts', FIXTURES), [logPath]);
    let output = '';
    let errors = '';
    child.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const waitFor = (pattern: RegExp): Promise<RegExpExecArray> =>
      new Promise((resolve, reject) => {
        const look = (): void => {
          const match = pattern.exec(output);
          if (match !== null) {
            child.stdout.off('data', onData);
            resolve(match);
          }
        };
        const onData = (chunk: Buffer): void => {
          output += chunk.toString();
          look();
        };
        child.stdout.on('data', onData);
        void exited.then(() => reject(new Error(`the app exited: ${errors}`)));
        look();
      });
    try {
      const [, port] = await waitFor(/\{"port":(\d+)\}/);
      const answer = request(`http://127.0.0.1:${port}`)
        .post('/slow?ms=400')
        .set('x-session-id', 'terminated')
        .then((response) => response);
      await waitFor(/\{"started":1\}/);
      child.kill('SIGTERM');
      const response = await answer;
      expect([response.status, response.body]).toEqual([201, { answer: 'done' }]);
      await exited;
    } finally {
      child.kill('SIGKILL');
    }
    const lines = readJsonLines(logPath);
    expect(ofEvent(lines, 'hf_call')).toEqual([expect.objectContaining({ sessionId: 'terminated', ok: true })]);
    expect(ofEvent(lines, 'hf_session_end')).toEqual([
      expect.objectContaining({ sessionId: 'terminated', reason: 'shutdown', callCount: 1 }),
    ]);
  });
});
