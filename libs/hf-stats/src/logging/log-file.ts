import fs from 'node:fs';
import path from 'node:path';
import { createLogger, format } from 'winston';
import DailyRotateFile from 'winston-daily-rotate-file';
import { logPathNotSymlink } from '../hf-stats.messages.js';
import type { HfStatsLogSettings } from './hf-stats-log.options.js';

/** The file the writer hands lines to. */
export interface StatsLogFile {
  /**
   * Hands lines to the file: one, or several joined by newlines, without the final newline. May
   * throw; failures are also reported asynchronously.
   */
  write(lines: string): void;
  /** Ends the file once every line handed to it has reached the OS. */
  close(): Promise<void>;
}

/** What an open file reports to its writer. */
export interface StatsLogFileEvents {
  /** Bytes that reached the OS, newlines included, in the order they were handed. */
  written(bytes: number): void;
  /** The file can't be written any more (ENOSPC, EIO, EACCES on open, ...). */
  failed(error: unknown): void;
  warn(message: string): void;
}

/** Opens the log file, or throws when it can't (the directory can't be created, for example). */
export type StatsLogFileOpener = (settings: HfStatsLogSettings, events: StatsLogFileEvents) => StatsLogFile;

type WriteCallback = (error: NodeJS.ErrnoException | null, written: number, buffer: unknown) => void;

type OpenCallback = (error: NodeJS.ErrnoException | null, fd: number) => void;

/**
 * The `fs` methods of the file streams, counting the bytes that each write completes: the rotating
 * stream never says when its buffer drains, and the writer bounds its memory by those completions.
 * `opened` hears of each file once it exists.
 */
function countingFs(written: (bytes: number) => void, opened: (file: string) => void) {
  return {
    open(file: fs.PathLike, flags: fs.OpenMode, mode: fs.Mode | undefined, callback: OpenCallback): void {
      fs.open(file, flags, mode, (error, fd) => {
        if (error === null) {
          opened(path.resolve(String(file)));
        }
        callback(error, fd);
      });
    },
    close: fs.close,
    write(
      fd: number,
      buffer: NodeJS.ArrayBufferView,
      offset: number,
      length: number,
      position: number | null,
      callback: WriteCallback,
    ): void {
      fs.write(fd, buffer, offset, length, position, (error, bytes, chunk) => {
        if (error === null) {
          written(bytes);
        }
        callback(error, bytes, chunk);
      });
    },
    writev(fd: number, buffers: NodeJS.ArrayBufferView[], position: number | null, callback: WriteCallback): void {
      fs.writev(fd, buffers, position, (error, bytes, chunks) => {
        if (error === null) {
          written(bytes);
        }
        callback(error, bytes, chunks);
      });
    },
  };
}

/** Where the files of a log path go: `logs/hf_api_stats.log` rotates in `logs/hf_api_stats-YYYY-MM-DD[.N].log`. */
export function logFileLayout(logPath: string) {
  const target = path.resolve(logPath);
  const dir = path.dirname(target);
  const name = path.basename(target);
  const extension = path.extname(name);
  const stem = extension === '' ? name : name.slice(0, -extension.length);
  return {
    target,
    dir,
    name,
    extension,
    stem,
    pattern: `${stem}-YYYY-MM-DD${extension}`,
    audit: path.join(dir, `.${stem}-audit.json`),
  };
}

function isRegularFile(file: string): boolean {
  try {
    return !fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The statistics log through winston and winston-daily-rotate-file: dated files rotated by day
 * (UTC) and by size, the oldest deleted beyond `maxFiles`, and `path` a symlink to the current one.
 */
export const openRotatingLogFile: StatsLogFileOpener = (settings, events) => {
  const layout = logFileLayout(settings.path);
  const prune = latePruning();
  const transport = new DailyRotateFile({
    filename: path.join(layout.dir, `${layout.stem}-%DATE%`),
    extension: layout.extension,
    datePattern: 'YYYY-MM-DD',
    utc: true,
    maxSize: settings.maxSize,
    maxFiles: settings.maxFiles,
    createSymlink: true,
    symlinkName: layout.name,
    auditFile: layout.audit,
    eol: '\n',
    options: {
      flags: 'a',
      fs: countingFs(
        (bytes) => events.written(bytes),
        (file) => prune.opened(file),
      ),
    },
  });
  transport.on('logRemoved', (name: unknown) => prune.removed(name));
  // The rotating stream re-emits its file's errors without a listener of its own: unheard, they would crash the app.
  let failed = false;
  const fail = (error: unknown) => {
    if (!failed) {
      failed = true;
      events.failed(error);
    }
  };
  transport.logStream.on('error', fail);
  transport.on('error', fail);
  const logger = createLogger({
    level: 'info',
    format: format.printf((info) => String(info.message)),
    transports: [transport],
    exitOnError: false,
  });
  logger.on('error', fail);
  if (isRegularFile(layout.target)) {
    events.warn(logPathNotSymlink(layout.target, layout.pattern));
  }
  return {
    write(lines) {
      logger.log('info', lines);
    },
    close() {
      return new Promise<void>((resolve) => {
        // Removing the transport closes it; it emits finish once its current file has flushed.
        transport.once('finish', () => {
          prune.sweep();
          resolve();
        });
        logger.close();
      });
    },
  };
};

/**
 * Deletes the files that the rotation meant to delete before they existed. In a burst of rotations
 * (a small `maxSize`, a busy minute) file-stream-rotator deletes the oldest file beyond `maxFiles`
 * while its stream is still opening it, finds nothing, and forgets it: the file appears a moment
 * later and stays for good (13 files kept with `maxFiles: 3`). Such a file is deleted once it is open.
 */
function latePruning() {
  const pending = new Set<string>();
  return {
    removed(name: unknown): void {
      if (typeof name !== 'string') {
        return;
      }
      const file = path.resolve(name);
      if (!fs.existsSync(file)) {
        pending.add(file);
      }
    },
    opened(file: string): void {
      if (pending.delete(file)) {
        unlink(file);
      }
    },
    /** At close: whatever opened without our hearing of it. */
    sweep(): void {
      for (const file of pending) {
        if (fs.existsSync(file)) {
          pending.delete(file);
          unlink(file);
        }
      }
    },
  };
}

function unlink(file: string): void {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Kept: a file we can't delete is the operator's to see, and must not stop the log.
  }
}
