import { describe, expect, it } from 'vitest';
import { resolveHfStatsOptions } from '../hf-stats.options.js';
import { HfStatsLogSettings, resolveHfStatsLogOptions } from './hf-stats-log.options.js';

describe('the log option', () => {
  it('defaults to the log file under logs/, JSON, a line per call, 20 MB files, 14 kept', () => {
    expect(resolveHfStatsOptions().log).toEqual({
      path: 'logs/hf_api_stats.log',
      format: 'json',
      perCall: true,
      maxSize: '20m',
      maxFiles: 14,
      maxSessionsPerSummary: 50,
      mirrorToNestLogger: false,
      maxPendingLines: 10_000,
    });
    expect(resolveHfStatsLogOptions(true)).toEqual(new HfStatsLogSettings());
    expect(resolveHfStatsLogOptions(undefined)).toEqual(new HfStatsLogSettings());
  });

  it('turns the file off with log: false', () => {
    expect(resolveHfStatsOptions({ log: false }).log).toBe(false);
  });

  it('merges the given fields onto the defaults, ignoring undefined ones', () => {
    expect(
      resolveHfStatsLogOptions({ path: '/var/log/app/stats.log', format: 'text', maxSize: 4096, perCall: undefined }),
    ).toEqual(
      Object.assign(new HfStatsLogSettings(), { path: '/var/log/app/stats.log', format: 'text', maxSize: 4096 }),
    );
  });

  it.each([
    ['log', 'yes', 'invalid option "log": got "yes", expected false, true or an object of log options'],
    ['log', null, 'invalid option "log": got null'],
    [
      'log.colour',
      { colour: true },
      'invalid option "log.colour": got true, expected one of the known log options (path,',
    ],
    [
      'log.path',
      { path: '' },
      `invalid option "log.path": got "", expected a file path such as 'logs/hf_api_stats.log'`,
    ],
    ['log.path', { path: 'logs/' }, 'invalid option "log.path": got "logs/"'],
    ['log.path', { path: 'logs/a\nb.log' }, 'invalid option "log.path"'],
    ['log.path', { path: 'logs/a:b.log' }, 'invalid option "log.path"'],
    ['log.format', { format: 'xml' }, `invalid option "log.format": got "xml", expected 'json' or 'text'`],
    ['log.perCall', { perCall: 'no' }, 'invalid option "log.perCall": got "no", expected true or false'],
    ['log.maxSize', { maxSize: '20 MB' }, `invalid option "log.maxSize": got "20 MB", expected a size such as '500k'`],
    ['log.maxSize', { maxSize: 100 }, 'invalid option "log.maxSize": got 100'],
    ['log.maxFiles', { maxFiles: 0 }, 'invalid option "log.maxFiles": got 0, expected a positive integer'],
    ['log.maxSessionsPerSummary', { maxSessionsPerSummary: -1 }, 'invalid option "log.maxSessionsPerSummary": got -1'],
    ['log.mirrorToNestLogger', { mirrorToNestLogger: 1 }, 'invalid option "log.mirrorToNestLogger": got 1'],
    ['log.maxPendingLines', { maxPendingLines: 1.5 }, 'invalid option "log.maxPendingLines": got 1.5'],
  ])('rejects an invalid %s, naming it', (_option, log, message) => {
    expect(() => resolveHfStatsOptions({ log } as never)).toThrow(message);
  });

  it('accepts sizes with a unit in either case', () => {
    for (const maxSize of ['1k', '500K', '20m', '1G', 1024]) {
      expect(resolveHfStatsLogOptions({ maxSize })).toMatchObject({ maxSize });
    }
  });
});
