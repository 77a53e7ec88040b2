import { describe, expect, it } from 'vitest';
import { HfStatsOptions, resolveHfStatsOptions } from './hf-stats.options.js';

describe('resolveHfStatsOptions', () => {
  it('gives the documented defaults', () => {
    const options = resolveHfStatsOptions();
    expect(options).toBeInstanceOf(HfStatsOptions);
    expect(options).toMatchObject({
      sessionHeader: 'x-session-id',
      sessionIdMaxLength: 128,
      sessionIdleTimeoutMs: 300_000,
      maxSessions: 10_000,
      controller: true,
      path: 'hf-stats',
      globalInterceptor: true,
      sessionEndTimeoutMs: 60_000,
      shutdownTimeoutMs: 10_000,
    });
    expect(options.sessionIdPattern.test('user-1.task_2:a@b')).toBe(true);
    expect(options.sessionIdPattern.test('a b')).toBe(false);
  });

  it('merges user options onto the defaults once, ignoring undefined values', () => {
    const options = resolveHfStatsOptions({ maxSessions: 5, sessionHeader: 'X-Task-Id', path: undefined });
    expect(options.maxSessions).toBe(5);
    expect(options.sessionHeader).toBe('x-task-id');
    expect(options.path).toBe('hf-stats');
  });

  it.each([
    [{ maxSessions: 0 }, /"maxSessions": got 0, expected a positive integer/],
    [{ maxSessions: 1.5 }, /"maxSessions"/],
    [{ sessionIdleTimeoutMs: -1 }, /"sessionIdleTimeoutMs": got -1/],
    [{ sessionIdleTimeoutMs: Number.NaN }, /"sessionIdleTimeoutMs": got NaN/],
    [{ sessionIdMaxLength: 0 }, /"sessionIdMaxLength"/],
    [{ sessionIdPattern: '[a-z]+' }, /"sessionIdPattern": got "\[a-z\]\+", expected a RegExp/],
    [{ sessionIdPattern: /a/g }, /"sessionIdPattern".*without the g or y flag/],
    [{ sessionHeader: 'bad header' }, /"sessionHeader"/],
    [{ sessionHeader: '' }, /"sessionHeader"/],
    [{ path: '../etc' }, /"path"/],
    [{ path: '' }, /"path"/],
    [{ controller: 'yes' }, /"controller": got "yes", expected true or false/],
    [{ guards: [42] }, /"guards"/],
    [{ resolveSessionId: 'x-id' }, /"resolveSessionId"/],
    [{ sesionHeader: 'x' }, /invalid option "sesionHeader".*known options/],
    [{ shutdownTimeoutMs: -1 }, /"shutdownTimeoutMs": got -1, expected an integer number of milliseconds >= 0/],
    [{ sessionEndTimeoutMs: 1.5 }, /"sessionEndTimeoutMs": got 1.5/],
  ])('rejects %o with an error naming the option', (input, message) => {
    expect(() => resolveHfStatsOptions(input as never)).toThrow(message);
  });

  it('rejects a non-object', () => {
    expect(() => resolveHfStatsOptions('x' as never)).toThrow(/invalid option "options"/);
  });
});
