import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { HfStatsLogSettings } from './hf-stats-log.options.js';
import { logFileLayout, openRotatingLogFile, type StatsLogFileEvents } from './log-file.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'hf-stats-log-file-'));
}

function events() {
  const failed = vi.fn<(error: unknown) => void>();
  const warn = vi.fn<(message: string) => void>();
  const recorder = { bytes: 0, failed, warn };
  const handlers: StatsLogFileEvents = { written: (bytes) => (recorder.bytes += bytes), failed, warn };
  return { recorder, handlers };
}

describe('the rotating log file', () => {
  it('lays the dated files out next to the stable path', () => {
    expect(logFileLayout('/var/log/app/hf_api_stats.log')).toMatchObject({
      dir: '/var/log/app',
      name: 'hf_api_stats.log',
      stem: 'hf_api_stats',
      extension: '.log',
      pattern: 'hf_api_stats-YYYY-MM-DD.log',
      audit: '/var/log/app/.hf_api_stats-audit.json',
    });
    expect(logFileLayout('/var/log/stats').pattern).toBe('stats-YYYY-MM-DD');
    expect(logFileLayout('logs/x.log').target).toBe(path.join(process.cwd(), 'logs', 'x.log'));
  });

  it('creates the directory, writes lines, reports the bytes written, and flushes at close', async () => {
    const dir = path.join(tempDir(), 'nested', 'logs');
    const target = path.join(dir, 'hf_api_stats.log');
    const { recorder, handlers } = events();
    const file = openRotatingLogFile(Object.assign(new HfStatsLogSettings(), { path: target }), handlers);
    file.write('{"a":1}');
    file.write('{"é":2}');
    await file.close();
    expect(fs.readFileSync(target, 'utf8')).toBe('{"a":1}\n{"é":2}\n');
    expect(recorder.bytes).toBe(Buffer.byteLength('{"a":1}\n{"é":2}\n'));
    expect(fs.lstatSync(target).isSymbolicLink()).toBe(true);
    expect(recorder.failed).not.toHaveBeenCalled();
    expect(recorder.warn).not.toHaveBeenCalled();
  });

  it('throws when the directory cannot be created', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'file'), '');
    const settings = Object.assign(new HfStatsLogSettings(), { path: path.join(dir, 'file', 'logs', 'x.log') });
    expect(() => openRotatingLogFile(settings, events().handlers)).toThrow(/ENOTDIR/);
  });

  it('warns when the stable path is a regular file, which the symlink cannot replace', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'hf_api_stats.log');
    fs.writeFileSync(target, 'old\n');
    const { recorder, handlers } = events();
    const file = openRotatingLogFile(Object.assign(new HfStatsLogSettings(), { path: target }), handlers);
    await file.close();
    expect(recorder.warn).toHaveBeenCalledWith(expect.stringContaining('exists and is not a symlink'));
    expect(fs.readFileSync(target, 'utf8')).toBe('old\n');
  });
});

function line(index: number): string {
  return JSON.stringify({ index, pad: 'x'.repeat(200) });
}

describe('the rotating log file under a burst of rotations', () => {
  it('keeps at most maxFiles files, and the newest lines', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'hf_api_stats.log');
    const { recorder, handlers } = events();
    const settings = Object.assign(new HfStatsLogSettings(), { path: target, maxSize: 1024, maxFiles: 3 });
    const file = openRotatingLogFile(settings, handlers);
    // About 40 files' worth of lines handed over at once: the rotations come faster than the deletions.
    for (let index = 0; index < 200; index += 1) {
      file.write(line(index));
    }
    await file.close();
    const logs = fs.readdirSync(dir).filter((name) => /^hf_api_stats-\d{4}-\d{2}-\d{2}(\.\d+)?\.log$/.test(name));
    expect(logs.length).toBeLessThanOrEqual(3);
    expect(fs.readFileSync(target, 'utf8')).toContain(line(199));
    expect(recorder.failed).not.toHaveBeenCalled();
  });
});
