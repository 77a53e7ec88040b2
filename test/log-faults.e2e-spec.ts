import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { HfStatsService, type HfStatsLogFormat } from 'nestjs-hf-stats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HfStatsLogService } from '../libs/hf-stats/src/logging/hf-stats-log.service.js';
import { boundedName } from '../libs/hf-stats/src/stats/call-names.js';
import {
  createLogApp,
  FakeEmbeddingClient,
  logFiles,
  makeLogDir,
  ofEvent,
  readJsonLines,
  readRawLines,
  type LogApp,
  type LogLine,
} from './fixtures/log/log-app.js';

const NOON = new Date('2030-01-15T12:00:00.000Z');
/** The dated file the log opens on NOON. */
const DATED_FILE = 'hf_api_stats-2030-01-15.log';

describe('statistics log faults and bad input', () => {
  let running: LogApp | undefined;

  afterEach(async () => {
    vi.useRealTimers();
    await running?.app.close();
    running = undefined;
  });

  it('keeps the app and its calls working when the log directory cannot be created (ENOTDIR, even for root)', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const dir = makeLogDir();
    // A directory under a regular file fails with ENOTDIR whatever the permissions.
    fs.writeFileSync(path.join(dir, 'not-a-dir'), '');
    const logPath = path.join(dir, 'not-a-dir', 'logs', 'hf_api_stats.log');
    running = await createLogApp(dir, { log: { path: logPath } });
    const { app, logger } = running;
    const stats = app.get(HfStatsService);
    const client = app.get(FakeEmbeddingClient);

    await expect(
      stats.runInSession('s-1', () => client.embed({ model: 'm', inputs: ['a', 'b'] })),
    ).resolves.toHaveLength(2);
    stats.record({ durationMs: 1 });
    vi.advanceTimersByTime(180_000);
    await stats.runInSession('s-1', () => client.embed({ model: 'm', inputs: ['c'] }));

    expect(stats.getGlobalStats()).toMatchObject({ callCount: 3, textCount: 3 });
    expect(stats.getSessionStats('s-1')).toMatchObject({ callCount: 2, textCount: 3 });
    const warnings = logger.messages('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`the statistics log "${logPath}" can't be written (ENOTDIR`);
    expect(warnings[0]).toContain('opened again every 60 s');
    running = undefined;
    await app.close();
    expect(fs.existsSync(path.join(dir, 'not-a-dir', 'logs'))).toBe(false);
  });

  it('survives a full disk (ENOSPC from /dev/full), warns once, and resumes when space is back', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: NOON });
    const dir = makeLogDir();
    const dated = path.join(dir, DATED_FILE);
    fs.symlinkSync('/dev/full', dated);
    running = await createLogApp(dir);
    const { app, logger } = running;
    const stats = app.get(HfStatsService);
    const log = app.get(HfStatsLogService);

    stats.runInSession('s-1', () => stats.record({ durationMs: 1 }));
    await log.flush();
    expect(logger.messages('warn')).toEqual([expect.stringContaining("can't be written (ENOSPC")]);
    for (let index = 0; index < 10; index += 1) {
      stats.runInSession('s-1', () => stats.record({ durationMs: 1 }));
    }
    // The retry at 60 s opens the same full file: it fails again, without a second warning.
    vi.advanceTimersByTime(60_000);
    await log.flush();
    expect(logger.messages('warn')).toHaveLength(1);

    fs.unlinkSync(dated);
    vi.advanceTimersByTime(60_000);
    await log.flush();
    expect(logger.messages('log').filter((message) => message.startsWith('nestjs-hf-stats'))).toEqual([
      expect.stringContaining('is written again; 22 lines were dropped meanwhile'),
    ]);
    stats.record({ durationMs: 1, model: 'after' });
    running = undefined;
    await app.close();

    expect(stats.getSessionStats('s-1')?.callCount).toBe(11);
    expect(logger.messages('warn')).toHaveLength(1);
    const lines = readJsonLines(dated);
    const [summary] = ofEvent(lines, 'hf_summary');
    // 11 calls, 10 summaries while the file was off, and the one lost when the retry at 60 s failed.
    expect(summary.droppedLineCount).toBe(22);
    expect(ofEvent(lines, 'hf_call')).toEqual([expect.objectContaining({ model: 'after' })]);
    expect(ofEvent(lines, 'hf_session_end')).toEqual([expect.objectContaining({ sessionId: 's-1', callCount: 11 })]);
  });

  const forgedSession = 'evil\n{"event":"hf_call","sessionId":"forged","model":"x"}\r\n';
  const forgedModel = 'm\r\n{"event":"hf_session_end","sessionId":"forged"}\u2028\u2029\u0085\u001b[2J\u0000';
  const forgedOperation = 'op" ok=false\nevent=hf_call';
  // Control characters become U+FFFD where the record is made (the name then carries a hash suffix);
  // quotes and the line separators U+2028/U+2029 stay, for the log to escape.
  const [recordedModel, recordedOperation] = [boundedName(forgedModel), boundedName(forgedOperation)];

  /** Writes a call and a session end with forged names, and returns the raw lines of the file. */
  async function forgedLines(format: HfStatsLogFormat): Promise<string[]> {
    const dir = makeLogDir();
    running = await createLogApp(dir, {
      log: { format },
      // A permissive app: any session id is accepted, so the log must escape it.
      module: { sessionIdPattern: /^[\s\S]+$/ },
    });
    const { app } = running;
    const stats = app.get(HfStatsService);
    const record = () => stats.record({ durationMs: 1, model: forgedModel, operation: forgedOperation });
    stats.runInSession(forgedSession, record, { endSession: true });
    stats.record({ durationMs: 1, model: forgedModel, sessionId: null });
    running = undefined;
    await app.close();

    const file = path.join(dir, 'hf_api_stats.log');
    // oxlint-disable-next-line no-control-regex
    expect(fs.readFileSync(file, 'utf8')).not.toMatch(/[\r\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    return readRawLines(file);
  }

  it('escapes a line-forging session id, model or operation name in JSON lines', async () => {
    const parsed = (await forgedLines('json')).map((line) => JSON.parse(line) as LogLine);
    expect(parsed.map((line) => line.event)).toEqual(['hf_call', 'hf_session_end', 'hf_call']);
    expect(recordedModel).toMatch(
      /^m\ufffd\ufffd\{"event":"hf_session_end","sessionId":"forged"\}\u2028\u2029\ufffd\ufffd\[2J\ufffd~/,
    );
    expect(parsed[0]).toMatchObject({ sessionId: forgedSession, model: recordedModel, operation: recordedOperation });
    expect(parsed[1]).toMatchObject({ sessionId: forgedSession });
    expect(parsed[2]).toMatchObject({ sessionId: null, model: recordedModel });
  });

  it('escapes a line-forging session id, model or operation name in text lines', async () => {
    const lines = await forgedLines('text');
    expect(lines.map((line) => /^time=\S+ event=(\S+) /.exec(line)?.[1])).toEqual([
      'hf_call',
      'hf_session_end',
      'hf_call',
    ]);
    expect(lines[0]).toContain(` sessionId=${jsonEscaped(forgedSession)} `);
    expect(lines[0]).toContain(` model=${jsonEscaped(recordedModel)} `);
    expect(lines[0]).toContain(` operation=${jsonEscaped(recordedOperation)} `);
  });

  it('rotates at a tiny size, keeps maxFiles files, and the symlink follows the newest', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir, { log: { maxSize: '1k', maxFiles: 3 } });
    const { app } = running;
    const stats = app.get(HfStatsService);
    const log = app.get(HfStatsLogService);
    const total = 60;
    for (let index = 0; index < total; index += 1) {
      stats.record({ durationMs: index, texts: 1, model: `model-${index}`, sessionId: null });
      if (index % 4 === 3) {
        await log.flush();
      }
    }
    running = undefined;
    await app.close();

    const files = logFiles(dir);
    expect(files).toHaveLength(3);
    const newest = files.at(-1) ?? '';
    expect(path.basename(newest)).toMatch(/^hf_api_stats-\d{4}-\d{2}-\d{2}\.\d+\.log$/);
    expect(fs.readlinkSync(path.join(dir, 'hf_api_stats.log'))).toBe(path.basename(newest));
    const kept = files.flatMap((file) => readJsonLines(file));
    for (const file of files.slice(0, -1)) {
      expect(fs.statSync(file).size).toBeGreaterThan(1024);
      expect(fs.statSync(file).size).toBeLessThan(1024 + 200);
    }
    // The newest lines, in order, up to the last one.
    const indexes = kept.map((line) => Number(String(line.model).slice('model-'.length)));
    expect(indexes.at(-1)).toBe(total - 1);
    expect(indexes).toEqual(indexes.map((_, position) => total - indexes.length + position));
  });

  it('drops and counts hf_call lines when the file stalls, keeping memory bounded and the session end', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'], now: NOON });
    const dir = makeLogDir();
    const fifo = path.join(dir, DATED_FILE);
    // A FIFO nobody reads: once the pipe buffer is full, every write waits, as on a stalled disk.
    execFileSync('mkfifo', [fifo]);
    const maxPendingLines = 100;
    running = await createLogApp(dir, { log: { maxPendingLines } });
    // A reader that never reads: the log's writes fill the pipe, then wait.
    const stalledReader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const { app, logger } = running;
    const stats = app.get(HfStatsService);
    const log = app.get(HfStatsLogService);

    const calls = 5_000;
    let maxPending = 0;
    for (let index = 0; index < calls; index += 1) {
      stats.runInSession('busy', () => stats.record({ durationMs: 1, texts: 1, model: 'BAAI/bge-small-en-v1.5' }));
      maxPending = Math.max(maxPending, log.pendingLineCount);
      if (index % 100 === 99) {
        await new Promise<void>((resolve) => setImmediate(() => resolve()));
      }
    }
    vi.advanceTimersByTime(10_000);
    stats.endSession('busy');
    maxPending = Math.max(maxPending, log.pendingLineCount);

    expect(maxPending).toBeLessThanOrEqual(maxPendingLines + 2);
    expect(logger.messages('warn')).toEqual([expect.stringContaining("the statistics log can't keep up")]);

    // The disk catches up: everything pending is written, nothing else is lost.
    const chunks: Buffer[] = [];
    const reader = fs.createReadStream(fifo);
    reader.on('data', (chunk) => chunks.push(chunk as Buffer));
    reader.once('open', () => fs.closeSync(stalledReader));
    const ended = new Promise<void>((resolve) => reader.on('end', () => resolve()));
    running = undefined;
    await app.close();
    await ended;

    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as LogLine);
    const [summary] = ofEvent(lines, 'hf_summary');
    const written = ofEvent(lines, 'hf_call').length;
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(calls);
    expect(summary.droppedLineCount).toBe(calls - written);
    expect(ofEvent(lines, 'hf_session_end')).toEqual([
      expect.objectContaining({ sessionId: 'busy', callCount: calls, reason: 'ended' }),
    ]);
    expect(stats.getGlobalStats().callCount).toBe(calls);
  });
});

function jsonEscaped(value: string): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
