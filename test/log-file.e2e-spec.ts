import fs from 'node:fs';
import path from 'node:path';
import { HfStatsService } from 'nestjs-hf-stats';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLogApp,
  FakeEmbeddingClient,
  logFiles,
  makeLogDir,
  readJsonLines,
  readRawLines,
  type LogApp,
} from './fixtures/log/log-app.js';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const STATS_FIELDS = [
  'callCount',
  'textCount',
  'errorCount',
  'totalTimeMs',
  'avgTimeMs',
  'minTimeMs',
  'maxTimeMs',
  'firstCallAt',
  'lastCallAt',
];

describe('statistics log file (real file, real Nest app)', () => {
  let running: LogApp | undefined;

  afterEach(async () => {
    await running?.app.close();
    running = undefined;
  });

  it('writes an hf_call line per call and an hf_session_end line per session, every line JSON', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir);
    const { app, logPath } = running;
    const stats = app.get(HfStatsService);
    const client = app.get(FakeEmbeddingClient);

    await stats.runInSession(
      'job-1',
      async () => {
        await client.embed({ model: 'BAAI/bge-small-en-v1.5', inputs: ['secret input text', 'b', 'c'] });
        await client.fail({ model: 'BAAI/bge-small-en-v1.5', inputs: ['secret input text'] }).catch(() => undefined);
      },
      { endSession: true },
    );
    stats.record({ durationMs: 12.5, texts: 2, model: 'm2', operation: 'chat-completion', sessionId: null });
    const expectedSession = stats.getSessionStats('job-1');
    await app.close();
    running = undefined;

    expect(fs.lstatSync(logPath).isSymbolicLink()).toBe(true);
    const lines = readJsonLines(logPath);
    expect(lines.map((line) => line.event)).toEqual(['hf_call', 'hf_call', 'hf_session_end', 'hf_call']);
    for (const line of lines) {
      expect(line.time).toMatch(ISO_TIME);
    }
    const [ok, failed, ended, unscoped] = lines;
    expect(ok).toMatchObject({
      sessionId: 'job-1',
      model: 'BAAI/bge-small-en-v1.5',
      operation: 'feature-extraction',
      texts: 3,
      ok: true,
    });
    expect(ok).not.toHaveProperty('errorType');
    expect(typeof ok.durationMs).toBe('number');
    expect(failed).toMatchObject({ sessionId: 'job-1', texts: 1, ok: false, errorType: '503' });
    expect(ended).toMatchObject({ sessionId: 'job-1', reason: 'ended', callCount: 2, textCount: 4, errorCount: 1 });
    expect(ended).toEqual({
      event: 'hf_session_end',
      time: expectedSession?.endedAt,
      reason: 'ended',
      ...Object.fromEntries(Object.entries(expectedSession ?? {}).filter(([key]) => key !== 'active')),
    });
    for (const field of STATS_FIELDS) {
      expect(ended).toHaveProperty(field);
    }
    expect(unscoped).toMatchObject({ sessionId: null, model: 'm2', operation: 'chat-completion', texts: 2 });
    expect(unscoped.durationMs).toBe(12.5);

    // Never the texts sent, nor an error's message.
    const raw = fs.readFileSync(logPath, 'utf8');
    expect(raw).not.toContain('secret input text');
  });

  it('follows the current dated file through the stable symlink', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir);
    running.app.get(HfStatsService).record({ durationMs: 1 });
    await running.app.close();
    running = undefined;

    const [current] = logFiles(dir);
    expect(path.basename(current)).toMatch(/^hf_api_stats-\d{4}-\d{2}-\d{2}\.log$/);
    expect(fs.readlinkSync(path.join(dir, 'hf_api_stats.log'))).toBe(path.basename(current));
    expect(readJsonLines(current)).toHaveLength(1);
  });

  it('writes nothing when log is false', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir, { log: false });
    running.app.get(HfStatsService).runInSession('s', () => running?.app.get(HfStatsService).record({ durationMs: 1 }));
    await running.app.close();
    running = undefined;
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('leaves hf_call lines out with perCall: false, and still writes the session ends', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir, { log: { perCall: false } });
    const stats = running.app.get(HfStatsService);
    stats.runInSession('s-1', () => stats.record({ durationMs: 3, texts: 1 }), { endSession: true });
    await running.app.close();
    running = undefined;
    const lines = readJsonLines(path.join(dir, 'hf_api_stats.log'));
    expect(lines.map((line) => line.event)).toEqual(['hf_session_end']);
    expect(lines[0]).toMatchObject({ sessionId: 's-1', callCount: 1 });
  });

  it('writes key=value lines with format: text', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir, { log: { format: 'text' } });
    const stats = running.app.get(HfStatsService);
    stats.runInSession('s-1', () => stats.record({ durationMs: 3, texts: 1, model: 'org/model one' }), {
      endSession: true,
    });
    await running.app.close();
    running = undefined;
    const lines = readRawLines(path.join(dir, 'hf_api_stats.log'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^time=\S+Z event=hf_call sessionId="s-1" model="org\/model one" operation=null texts=1 durationMs=3 ok=true$/,
    );
    expect(lines[1]).toMatch(/^time=\S+Z event=hf_session_end sessionId="s-1" reason="ended" startedAt="/);
    expect(lines[1]).toContain(' callCount=1 ');
  });

  it('mirrors every line to the Nest Logger at debug level when asked', async () => {
    const dir = makeLogDir();
    running = await createLogApp(dir, { log: { mirrorToNestLogger: true } });
    const stats = running.app.get(HfStatsService);
    stats.record({ durationMs: 1, model: 'm' });
    await running.app.close();
    const mirrored = running.logger.messages('debug').filter((message) => message.includes('"event":"hf_call"'));
    running = undefined;
    expect(mirrored).toHaveLength(1);
    expect(readRawLines(path.join(dir, 'hf_api_stats.log'))).toEqual(mirrored);
  });
});
