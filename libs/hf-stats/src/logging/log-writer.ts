import { logFellBehind, logResumed, logUnwritable } from '../hf-stats.messages.js';
import type { HfStatsLogSettings } from './hf-stats-log.options.js';
import type { StatsLogFile, StatsLogFileOpener } from './log-file.js';
import { PendingLineSizes, startDeadline } from './pending-lines.js';

/** What a line is: `call` lines give way first when the disk falls behind. */
export type StatsLogLineKind = 'call' | 'session' | 'summary';

/** Where the writer reports its own state: the Nest `Logger` in the app. */
export interface StatsLogWriterLogger {
  warn(message: string): void;
  log(message: string): void;
  debug(message: string): void;
}

/** After a failure, opening the file again is tried this often (on the summary job's ticks). */
export const LOG_RETRY_MS = 60_000;

/** Most bytes handed to the file at once; a file may outgrow `maxSize` by this much before it rotates. */
const MAX_CHUNK_BYTES = 64 * 1024;

/**
 * Lines queued before the writer hands them over on the next turn instead of waiting out the
 * interval: a full chunk gains nothing by waiting, and a fast loop must not reach `maxPendingLines`.
 */
const FULL_CHUNK_LINES = 1_000;

/** Longest a shutdown waits for the disk before it gives up on the lines still pending. */
const CLOSE_TIMEOUT_MS = 5_000;

type WriterState = 'idle' | 'open' | 'failed' | 'closed';

/** A line, or what makes it: `call` lines are formatted when they are handed over, off the call path. */
type QueuedLine = string | (() => string);

/**
 * The statistics log's buffer between the recording path and the file. `enqueue` only queues (a
 * `call` line is formatted later, when it is handed over); lines reach the file on a later turn of
 * the event loop, at most one hand-over per `handOverIntervalMs` (0: every turn), so that calls spread
 * out in time share one trip through winston and one file write. At most `maxPendingLines` lines
 * wait for the disk before `call` lines are dropped (others may use as many again). A file that
 * can't be written is let go, reported once, and opened again every {@link LOG_RETRY_MS}.
 */
export class StatsLogWriter {
  private state: WriterState = 'idle';
  private file: StatsLogFile | undefined;
  /** Bumped whenever the file changes, so that a former file's late events are ignored. */
  private generation = 0;
  private queue: QueuedLine[] = [];
  private readonly inFlight = new PendingLineSizes();
  private flushScheduled = false;
  /** The timer of a hand-over that waits out the interval; undefined when on setImmediate or none. */
  private flushTimer: NodeJS.Timeout | undefined;
  private lastHandOverAt = -Infinity;
  private dropped = 0;
  private failedAt = 0;
  /** False after a reopening until the first bytes reach the file: only then is the file back. */
  private confirmed = true;
  private droppedAtFailure = 0;
  private fellBehindWarned = false;
  private drainWaiters: Array<() => void> = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly settings: HfStatsLogSettings,
    private readonly openFile: StatsLogFileOpener,
    private readonly logger: StatsLogWriterLogger,
    private readonly now: () => number = () => Date.now(),
    /**
     * Shortest time between two hand-overs to the file, so a line is on disk within about this long;
     * a line after a quiet spell still goes on the next turn. 0: every turn that has lines.
     */
    private readonly handOverIntervalMs = 0,
  ) {}

  /** Lines queued or handed to the file and not yet written. */
  get pendingLineCount(): number {
    return this.queue.length + this.inFlight.count;
  }

  /**
   * Lines dropped since start: a running total, so that a summary lost with the file loses no count.
   * Upper bound: of the lines handed to a file when it failed, some may have reached it.
   */
  get droppedLineCount(): number {
    return this.dropped;
  }

  open(): void {
    if (this.state === 'idle') {
      this.tryOpen();
    }
  }

  /** Queues the line that `build` makes, unless it must be dropped. Never throws unless `build` does. */
  enqueue(kind: StatsLogLineKind, build: () => string): boolean {
    if (this.state === 'idle' || this.state === 'closed') {
      return false;
    }
    if (this.state === 'failed' && !this.settings.mirrorToNestLogger) {
      this.dropped += 1;
      return false;
    }
    const limit = kind === 'call' ? this.settings.maxPendingLines : this.settings.maxPendingLines * 2;
    if (this.pendingLineCount >= limit) {
      this.dropped += 1;
      if (kind === 'call' && !this.fellBehindWarned) {
        this.fellBehindWarned = true;
        this.logger.warn(logFellBehind(this.settings.maxPendingLines));
      }
      return false;
    }
    this.queue.push(kind === 'call' && this.handOverIntervalMs > 0 ? build : build());
    this.schedule();
    return true;
  }

  /** Next turn when the last hand-over is older than the interval or the chunk is full; else when the interval ends. */
  private schedule(): void {
    if (this.flushScheduled && (this.flushTimer === undefined || this.queue.length < FULL_CHUNK_LINES)) {
      return;
    }
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flushScheduled = true;
    const wait = this.lastHandOverAt + this.handOverIntervalMs - performance.now();
    if (wait <= 0 || this.queue.length >= FULL_CHUNK_LINES) {
      setImmediate(() => this.flushQueue());
    } else {
      this.flushTimer = setTimeout(() => this.flushQueue(), wait);
    }
  }

  /** Resolves once every pending line is written, or dropped because the file failed. */
  flush(): Promise<void> {
    this.flushQueue();
    if (this.inFlight.count === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Opens the file again when it failed long enough ago. Called by the summary job. */
  maintain(): void {
    if (this.state === 'failed' && this.now() - this.failedAt >= LOG_RETRY_MS) {
      this.tryOpen();
    }
  }

  /** Writes every pending line, then closes the file; waits for the disk at most 5 seconds in all. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    if (this.state === 'idle' || this.state === 'closed') {
      this.state = 'closed';
      return;
    }
    const deadline = startDeadline(CLOSE_TIMEOUT_MS);
    try {
      await Promise.race([this.flush(), deadline.reached]);
      this.state = 'closed';
      this.generation += 1;
      const file = this.file;
      this.file = undefined;
      this.inFlight.clear();
      this.settleDrainWaiters();
      if (file !== undefined) {
        await Promise.race([Promise.resolve().then(() => file.close()), deadline.reached]).catch(() => undefined);
      }
    } finally {
      deadline.cancel();
    }
  }

  private flushQueue(): void {
    this.flushScheduled = false;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.queue.length === 0) {
      return;
    }
    this.lastHandOverAt = performance.now();
    const lines = this.build(this.queue);
    this.queue = [];
    if (this.settings.mirrorToNestLogger) {
      for (const line of lines) {
        this.logger.debug(line);
      }
    }
    const file = this.file;
    if (this.state !== 'open' || file === undefined) {
      this.dropped += lines.length;
      return;
    }
    const generation = this.generation;
    let handed = 0;
    try {
      // Lines go in chunks: one pass through winston and the rotating stream per chunk, not per line.
      while (handed < lines.length && this.generation === generation) {
        const first = handed;
        handed = chunkEnd(lines, first, (line) => line.length);
        let chunk = joined(lines, first, handed);
        if (Buffer.byteLength(chunk) === chunk.length) {
          // ASCII, as nearly every line is: a line's bytes are its characters, measured once for the chunk.
          for (let index = first; index < handed; index += 1) {
            this.inFlight.push(lines[index].length + 1);
          }
        } else {
          handed = chunkEnd(lines, first, (line) => Buffer.byteLength(line));
          chunk = joined(lines, first, handed);
          for (let index = first; index < handed; index += 1) {
            this.inFlight.push(Buffer.byteLength(lines[index]) + 1);
          }
        }
        file.write(chunk);
      }
    } catch (error) {
      this.fail(error, generation);
    }
    if (this.generation !== generation) {
      // The file failed while the lines were handed to it; the lines handed so far were counted by fail().
      this.dropped += lines.length - handed;
    }
  }

  /** The queued lines as text; a line whose formatting throws is dropped (counted), not the others. */
  private build(queued: QueuedLine[]): string[] {
    const lines: string[] = [];
    for (const line of queued) {
      if (typeof line === 'string') {
        lines.push(line);
        continue;
      }
      try {
        lines.push(line());
      } catch {
        this.dropped += 1;
      }
    }
    return lines;
  }

  private tryOpen(): void {
    const generation = ++this.generation;
    const wasFailed = this.state === 'failed';
    try {
      this.file = this.openFile(this.settings, {
        written: (bytes) => this.onWritten(bytes, generation),
        failed: (error) => this.fail(error, generation),
        warn: (message) => this.logger.warn(message),
      });
    } catch (error) {
      if (!wasFailed) {
        this.droppedAtFailure = this.dropped;
        this.logger.warn(logUnwritable(this.settings.path, error, LOG_RETRY_MS));
      }
      this.state = 'failed';
      this.failedAt = this.now();
      return;
    }
    this.state = 'open';
    if (wasFailed) {
      this.confirmed = false;
    }
  }

  private onWritten(bytes: number, generation: number): void {
    if (generation !== this.generation) {
      return;
    }
    if (!this.confirmed) {
      this.confirmed = true;
      this.logger.log(logResumed(this.settings.path, this.dropped - this.droppedAtFailure));
    }
    this.inFlight.complete(bytes);
    if (this.inFlight.count === 0) {
      this.settleDrainWaiters();
    }
  }

  private fail(error: unknown, generation: number): void {
    if (generation !== this.generation || this.state !== 'open') {
      return;
    }
    this.state = 'failed';
    this.failedAt = this.now();
    this.generation += 1;
    if (this.confirmed) {
      this.droppedAtFailure = this.dropped;
    }
    // Some of these may have reached the file before it failed: the count is an upper bound.
    this.dropped += this.inFlight.count;
    this.inFlight.clear();
    const file = this.file;
    this.file = undefined;
    Promise.resolve()
      .then(() => file?.close())
      .catch(() => undefined);
    if (this.confirmed) {
      this.logger.warn(logUnwritable(this.settings.path, error, LOG_RETRY_MS));
    }
    // A reopening that failed before writing anything is the same failure going on: no new warning.
    this.confirmed = true;
    this.settleDrainWaiters();
  }

  private settleDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) {
      resolve();
    }
  }
}

/** The end of the chunk that starts at `first`: lines while it holds under {@link MAX_CHUNK_BYTES}, at least one. */
function chunkEnd(lines: readonly string[], first: number, bytesOf: (line: string) => number): number {
  let end = first;
  let bytes = 0;
  while (end < lines.length && (end === first || bytes < MAX_CHUNK_BYTES)) {
    bytes += bytesOf(lines[end]) + 1;
    end += 1;
  }
  return end;
}

/** Lines `first` to `end` (excluded) joined by newlines. */
function joined(lines: readonly string[], first: number, end: number): string {
  return end - first === 1 ? lines[first] : lines.slice(first, end).join('\n');
}
