import { basename } from 'node:path';
import { invalidOption } from '../hf-stats.messages.js';
import {
  booleanOption,
  integerOption,
  mergeOntoDefaults,
  objectOption,
  positiveInteger,
} from '../utils/option-checks.js';

/** How each line of the statistics log is written: one JSON object, or `key=value` pairs. */
export type HfStatsLogFormat = 'json' | 'text';

/**
 * The `log` option of `HfStatsModule.forRoot()`: the statistics log file. Every field is optional;
 * the defaults are those of {@link HfStatsLogSettings}. `log: false` turns the file off.
 */
export interface HfStatsLogOptions {
  /**
   * The path to follow with `tail -F`, relative to the working directory. It is a symlink to the
   * current file, `<name>-YYYY-MM-DD[.N]<ext>` in the same directory. Default `'logs/hf_api_stats.log'`.
   */
  path?: string;
  /** `'json'`: one JSON object per line; `'text'`: `key=value` pairs. Default `'json'`. */
  format?: HfStatsLogFormat;
  /** Write an `hf_call` line after every tracked call. Turn off for very high call rates. Default `true`. */
  perCall?: boolean;
  /** Size at which the current file rotates: `'500k'`, `'20m'`, `'1g'`, or bytes (>= 1024). Default `'20m'`. */
  maxSize?: string | number;
  /** Files kept; older ones are deleted. Default 14. */
  maxFiles?: number;
  /** Most active sessions listed in an `hf_summary` line (the most recently active). Default 50. */
  maxSessionsPerSummary?: number;
  /** Also write every line to the Nest `Logger` at debug level. Default `false`. */
  mirrorToNestLogger?: boolean;
  /**
   * Most lines waiting for the disk. Beyond it, `hf_call` lines are dropped and counted (see
   * `droppedLineCount` in `hf_summary`); other lines may use as many again. Default 10000.
   */
  maxPendingLines?: number;
}

/** The log settings in force: user options merged once onto these defaults. */
export class HfStatsLogSettings {
  path = 'logs/hf_api_stats.log';
  format: HfStatsLogFormat = 'json';
  perCall = true;
  maxSize: string | number = '20m';
  maxFiles = 14;
  maxSessionsPerSummary = 50;
  mirrorToNestLogger = false;
  maxPendingLines = 10_000;
}

const KNOWN_LOG_OPTIONS = `one of the known log options (${Object.keys(new HfStatsLogSettings()).join(', ')})`;

/** Characters that winston-daily-rotate-file refuses in a file name (it refuses fewer in the directory). */
// oxlint-disable-next-line no-control-regex
const FORBIDDEN_IN_FILE_NAME = /["<>|:*?\\\u0000-\u001f\u007f]/;
// oxlint-disable-next-line no-control-regex
const FORBIDDEN_IN_PATH = /["<>|\u0000-\u001f\u007f]/;

function isLogPath(value: unknown): value is string {
  if (typeof value !== 'string' || value.trim() === '' || FORBIDDEN_IN_PATH.test(value) || /[\\/]$/.test(value)) {
    return false;
  }
  const name = basename(value);
  return name !== '.' && name !== '..' && !FORBIDDEN_IN_FILE_NAME.test(name);
}

function isLogSize(value: unknown): boolean {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value >= 1024;
  }
  return typeof value === 'string' && /^[1-9]\d*[kmg]$/i.test(value);
}

/**
 * Resolves the `log` option: `false` turns the log off; `undefined` and `true` give the defaults;
 * an object is merged onto them. Throws an error naming the first invalid field.
 */
export function resolveHfStatsLogOptions(value: unknown): HfStatsLogSettings | false {
  if (value === false) {
    return false;
  }
  if (value === undefined || value === true) {
    return new HfStatsLogSettings();
  }
  const options = objectOption('log', value, 'false, true or an object of log options');
  const resolved = mergeOntoDefaults(new HfStatsLogSettings(), options, 'log.', KNOWN_LOG_OPTIONS);

  if (!isLogPath(resolved.path)) {
    throw invalidOption('log.path', resolved.path, "a file path such as 'logs/hf_api_stats.log'");
  }
  if (resolved.format !== 'json' && resolved.format !== 'text') {
    throw invalidOption('log.format', resolved.format, "'json' or 'text'");
  }
  booleanOption('log.perCall', resolved.perCall);
  if (!isLogSize(resolved.maxSize)) {
    throw invalidOption(
      'log.maxSize',
      resolved.maxSize,
      "a size such as '500k', '20m' or '1g', or a number of bytes >= 1024",
    );
  }
  positiveInteger('log.maxFiles', resolved.maxFiles);
  integerOption('log.maxSessionsPerSummary', resolved.maxSessionsPerSummary, 0);
  booleanOption('log.mirrorToNestLogger', resolved.mirrorToNestLogger);
  positiveInteger('log.maxPendingLines', resolved.maxPendingLines);
  return resolved;
}
