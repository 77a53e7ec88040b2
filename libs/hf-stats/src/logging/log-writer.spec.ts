import { afterEach, describe, expect, it, vi } from 'vitest';
import { HfStatsLogSettings } from './hf-stats-log.options.js';
import type { StatsLogFile, StatsLogFileEvents, StatsLogFileOpener } from './log-file.js';
import { LOG_RETRY_MS, StatsLogWriter } from './log-writer.js';

/** A file that keeps what it is handed and completes writes only when told to: a disk we control. */
class ControlledFile implements StatsLogFile {
  readonly handed: string[] = [];
  /** How many times lines were handed over: each one a trip through winston and a file write. */
  writes = 0;
  written: string[] = [];
  closed = false;
  /** A file whose close never completes, as on a disk that hangs. */
  hangOnClose = false;

  constructor(readonly events: StatsLogFileEvents) {}

  write(lines: string): void {
    this.writes += 1;
    this.handed.push(...lines.split('\n'));
  }

  /** Completes the writes of the first `count` lines not yet written (all by default). */
  complete(count = this.handed.length - this.written.length): void {
    const lines = this.handed.slice(this.written.length, this.written.length + count);
    this.written = [...this.written, ...lines];
    this.events.written(lines.reduce((bytes, line) => bytes + Buffer.byteLength(line) + 1, 0));
  }

  close(): Promise<void> {
    this.closed = true;
    return this.hangOnClose ? new Promise(() => undefined) : Promise.resolve();
  }
}

function setup(options: Partial<HfStatsLogSettings> = {}, handOverIntervalMs = 0) {
  const settings = Object.assign(new HfStatsLogSettings(), { path: '/tmp/x/hf_api_stats.log' }, options);
  const files: ControlledFile[] = [];
  let failOpen: Error | undefined;
  const opener: StatsLogFileOpener = (_settings, events) => {
    if (failOpen !== undefined) {
      throw failOpen;
    }
    const file = new ControlledFile(events);
    files.push(file);
    return file;
  };
  const logger = {
    warn: vi.fn<(message: string) => void>(),
    log: vi.fn<(message: string) => void>(),
    debug: vi.fn<(message: string) => void>(),
  };
  let now = 0;
  const writer = new StatsLogWriter(settings, opener, logger, () => now, handOverIntervalMs);
  writer.open();
  return {
    writer,
    logger,
    files,
    file: () => files.at(-1) as ControlledFile,
    failOpenWith: (error: Error | undefined) => (failOpen = error),
    advance: (ms: number) => (now += ms),
  };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('StatsLogWriter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('only queues on the recording path: lines reach the file on a later turn, in order', async () => {
    const { writer, file } = setup();
    writer.enqueue('call', () => 'a');
    writer.enqueue('session', () => 'b');
    expect(file().handed).toEqual([]);
    expect(writer.pendingLineCount).toBe(2);
    await nextTurn();
    expect(file().handed).toEqual(['a', 'b']);
    expect(writer.pendingLineCount).toBe(2);
    file().complete();
    expect(writer.pendingLineCount).toBe(0);
  });

  it('counts partial completions line by line', async () => {
    const { writer, file } = setup();
    writer.enqueue('call', () => 'abc');
    writer.enqueue('call', () => 'é');
    await nextTurn();
    file().events.written(2);
    expect(writer.pendingLineCount).toBe(2);
    file().events.written(2);
    expect(writer.pendingLineCount).toBe(1);
    file().events.written(3);
    expect(writer.pendingLineCount).toBe(0);
  });

  it('hands lines over in chunks of at most 64 KiB (plus the last line), counted in bytes for non-ASCII lines', async () => {
    const { writer, file } = setup({ maxPendingLines: 1_000 });
    const handed: string[] = [];
    const originalWrite = file().write.bind(file());
    file().write = (lines: string) => {
      handed.push(lines);
      originalWrite(lines);
    };
    const ascii = 'a'.repeat(999);
    const wide = `${'é'.repeat(499)}a`;
    for (let index = 0; index < 200; index += 1) {
      writer.enqueue('call', () => ascii);
    }
    for (let index = 0; index < 200; index += 1) {
      writer.enqueue('call', () => wide);
    }
    await nextTurn();
    // 1,000 bytes a line (newline included) for both: 66 lines fill a chunk (65 + the one past 64 KiB).
    expect(handed.map((chunk) => chunk.split('\n').length)).toEqual([66, 66, 66, 66, 66, 66, 4]);
    for (const chunk of handed) {
      expect(Buffer.byteLength(chunk) + 1 - 1_000).toBeLessThan(64 * 1024);
    }
    expect(writer.pendingLineCount).toBe(400);
    file().events.written(200 * 1_000 + 999);
    expect(writer.pendingLineCount).toBe(200);
    file().events.written(1);
    expect(writer.pendingLineCount).toBe(199);
    file().complete();
    expect(writer.pendingLineCount).toBe(0);
  });

  it('drops hf_call lines beyond maxPendingLines, keeps room for the others, and warns once', async () => {
    const { writer, file, logger } = setup({ maxPendingLines: 10 });
    for (let index = 0; index < 15; index += 1) {
      writer.enqueue('call', () => `call ${index}`);
    }
    expect(writer.pendingLineCount).toBe(10);
    expect(writer.droppedLineCount).toBe(5);
    for (let index = 0; index < 15; index += 1) {
      writer.enqueue('session', () => `end ${index}`);
    }
    expect(writer.pendingLineCount).toBe(20);
    expect(writer.droppedLineCount).toBe(10);
    expect(writer.enqueue('summary', () => 'summary')).toBe(false);
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(logger.warn.mock.calls[0][0]).toContain("can't keep up");

    await nextTurn();
    file().complete(5);
    expect(writer.enqueue('call', () => 'call again')).toBe(false);
    file().complete(10);
    expect(writer.enqueue('call', () => 'call again')).toBe(true);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('does not build a line it drops', () => {
    const { writer } = setup({ maxPendingLines: 1 });
    writer.enqueue('call', () => 'a');
    const build = vi.fn<() => string>(() => 'b');
    writer.enqueue('call', build);
    expect(build).not.toHaveBeenCalled();
  });

  it('drops the pending lines of a failed file, warns once, and opens it again after LOG_RETRY_MS', async () => {
    const { writer, files, file, logger, failOpenWith, advance } = setup();
    writer.enqueue('call', () => 'a');
    writer.enqueue('call', () => 'b');
    await nextTurn();
    file().events.failed(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    expect(writer.pendingLineCount).toBe(0);
    expect(writer.droppedLineCount).toBe(2);
    expect(logger.warn.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining(`"/tmp/x/hf_api_stats.log" can't be written (ENOSPC: no space left on device, write)`),
    ]);
    await nextTurn();
    expect(files[0].closed).toBe(true);

    expect(writer.enqueue('call', () => 'c')).toBe(false);
    advance(LOG_RETRY_MS - 1);
    writer.maintain();
    expect(files).toHaveLength(1);

    // Still failing: retried quietly.
    failOpenWith(new Error('EACCES'));
    advance(1);
    writer.maintain();
    expect(files).toHaveLength(1);
    failOpenWith(undefined);
    advance(LOG_RETRY_MS);
    writer.maintain();
    expect(files).toHaveLength(2);

    // The new file takes lines again.
    expect(writer.enqueue('summary', () => 'summary')).toBe(true);
    await nextTurn();
    expect(file().handed).toContain('summary');
    expect(logger.log).not.toHaveBeenCalled();
    file().complete();
    expect(logger.log.mock.calls).toEqual([[expect.stringContaining('is written again; 3 lines were dropped')]]);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('ignores the late events of a former file', async () => {
    const { writer, files, advance } = setup();
    writer.enqueue('call', () => 'a');
    await nextTurn();
    files[0].events.failed(new Error('EIO'));
    advance(LOG_RETRY_MS);
    writer.maintain();
    writer.enqueue('call', () => 'b');
    await nextTurn();
    files[0].events.written(100);
    files[0].events.failed(new Error('EIO'));
    expect(writer.pendingLineCount).toBe(1);
    // The current file still takes lines.
    expect(writer.enqueue('call', () => 'c')).toBe(true);
    await nextTurn();
    expect(files[1].handed).toContain('c');
  });

  it('warns once and keeps counting when the file cannot be opened at all', () => {
    const logger = {
      warn: vi.fn<(message: string) => void>(),
      log: vi.fn<(message: string) => void>(),
      debug: vi.fn<(message: string) => void>(),
    };
    const opener = vi.fn<StatsLogFileOpener>(() => {
      throw Object.assign(new Error("ENOTDIR: not a directory, mkdir '/f/logs/'"), { code: 'ENOTDIR' });
    });
    let now = 0;
    const settings = Object.assign(new HfStatsLogSettings(), { path: '/f/logs/hf_api_stats.log' });
    const writer = new StatsLogWriter(settings, opener, logger, () => now);
    writer.open();
    expect(writer.enqueue('call', () => 'a')).toBe(false);
    now += LOG_RETRY_MS;
    writer.maintain();
    expect(opener).toHaveBeenCalledTimes(2);
    expect(writer.enqueue('summary', () => 'b')).toBe(false);
    expect(writer.droppedLineCount).toBe(2);
    expect(logger.warn.mock.calls).toEqual([
      [expect.stringContaining(`"/f/logs/hf_api_stats.log" can't be written (ENOTDIR: not a directory`)],
    ]);
  });

  it('mirrors lines to the Nest Logger at debug level, even while the file is off', async () => {
    const { writer, file, logger } = setup({ mirrorToNestLogger: true });
    writer.enqueue('call', () => 'a');
    await nextTurn();
    file().events.failed(new Error('EIO'));
    writer.enqueue('call', () => 'b');
    await nextTurn();
    expect(logger.debug.mock.calls).toEqual([['a'], ['b']]);
    expect(writer.droppedLineCount).toBe(2);
  });

  it('writes every pending line at close, then closes the file and takes no more lines', async () => {
    const { writer, file } = setup();
    writer.enqueue('call', () => 'a');
    writer.enqueue('session', () => 'b');
    const closed = writer.close();
    expect(file().handed).toEqual(['a', 'b']);
    expect(file().closed).toBe(false);
    file().complete();
    await closed;
    expect(file().closed).toBe(true);
    expect(writer.enqueue('call', () => 'c')).toBe(false);
  });

  it('gives up on a stalled disk at close after 5 seconds in all', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { writer, file } = setup();
    file().hangOnClose = true;
    writer.enqueue('call', () => 'a');
    let closed = false;
    const closing = writer.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await closing;
    expect(file().closed).toBe(true);
    expect(writer.close()).toBe(writer.close());
  });

  describe('with a hand-over interval', () => {
    const FAKED = ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] as const;

    it('hands the lines of calls spread over the interval to the file in one write, within the interval', async () => {
      vi.useFakeTimers({ toFake: [...FAKED] });
      const { writer, file } = setup({}, 50);
      // A line after a quiet spell goes on the next turn, as without an interval.
      writer.enqueue('call', () => 'first');
      await vi.advanceTimersByTimeAsync(0);
      expect(file().handed).toEqual(['first']);
      for (let index = 0; index < 10; index += 1) {
        writer.enqueue('call', () => `call ${index}`);
        await vi.advanceTimersByTimeAsync(4);
      }
      expect(file().writes).toBe(1);
      await vi.advanceTimersByTimeAsync(10);
      expect(file().writes).toBe(2);
      expect(file().handed).toEqual(['first', ...Array.from({ length: 10 }, (_, index) => `call ${index}`)]);
    });

    it('formats an hf_call line when it is handed over, not on the call path; other lines at once', async () => {
      vi.useFakeTimers({ toFake: [...FAKED] });
      const { writer, file } = setup({}, 50);
      const call = vi.fn<() => string>(() => 'call');
      const session = vi.fn<() => string>(() => 'session');
      writer.enqueue('call', call);
      writer.enqueue('session', session);
      expect(call).not.toHaveBeenCalled();
      expect(session).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(0);
      expect(call).toHaveBeenCalledTimes(1);
      expect(file().handed).toEqual(['call', 'session']);
    });

    it('hands a full chunk over on the next turn without waiting out the interval', async () => {
      vi.useFakeTimers({ toFake: [...FAKED] });
      const { writer, file } = setup({}, 50);
      writer.enqueue('call', () => 'first');
      await vi.advanceTimersByTimeAsync(0);
      for (let index = 0; index < 1_000; index += 1) {
        writer.enqueue('call', () => `call ${index}`);
      }
      await vi.advanceTimersByTimeAsync(0);
      expect(file().handed).toHaveLength(1_001);
    });

    it('drops a line whose formatting throws, and counts it, without losing the others', async () => {
      vi.useFakeTimers({ toFake: [...FAKED] });
      const { writer, file } = setup({}, 50);
      writer.enqueue('call', () => 'a');
      writer.enqueue('call', () => {
        throw new Error('unformattable');
      });
      writer.enqueue('call', () => 'c');
      await vi.advanceTimersByTimeAsync(0);
      expect(file().handed).toEqual(['a', 'c']);
      expect(writer.droppedLineCount).toBe(1);
    });

    it('writes the lines waiting out the interval at close', async () => {
      vi.useFakeTimers({ toFake: [...FAKED] });
      const { writer, file } = setup({}, 50);
      writer.enqueue('call', () => 'a');
      await vi.advanceTimersByTimeAsync(0);
      writer.enqueue('call', () => 'b');
      const closed = writer.close();
      expect(file().handed).toEqual(['a', 'b']);
      file().complete();
      await closed;
      expect(file().closed).toBe(true);
    });
  });
});
