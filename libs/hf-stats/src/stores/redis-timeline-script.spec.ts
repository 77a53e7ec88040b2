import { describe, expect, it } from 'vitest';
import { splitTimelineBatch } from './redis-timeline-script.js';

/** `count` triples of one minute. */
function triples(count: number, tag: string): string[] {
  return Array.from({ length: count }, (_, i) => ['i', `t|h:${tag}${i}`, '1']).flat();
}

describe('splitTimelineBatch', () => {
  it('cuts a batch into calls of at most 1,500 arguments that hold every triple once, in order', () => {
    let seq = 0;
    const head = (): string[] => ['w', 'replica', String(++seq), '1', '1', '50'];
    const batch = {
      ops: [[1000, triples(700, 'a')] as [number, string[]], [1001, triples(3, 'b')] as [number, string[]]],
    };
    const calls = splitTimelineBatch(batch, head);
    expect(calls.length).toBe(2);
    expect(calls.every((args) => args.length <= 1500)).toBe(true);
    // Read back as the script does: per minute, a count and its triples.
    const read = new Map<string, string[]>();
    for (const args of calls) {
      for (let i = 6; i < args.length;) {
        const [minute, count] = [args[i], Number(args[i + 1])];
        read.set(minute, [...(read.get(minute) ?? []), ...args.slice(i + 2, i + 2 + count * 3)]);
        i += 2 + count * 3;
      }
    }
    expect(read.get('1000')).toEqual(batch.ops[0][1]);
    expect(read.get('1001')).toEqual(batch.ops[1][1]);
    // Each call its own number: applied at most once each.
    expect(calls.map((args) => args[2])).toEqual(['1', '2']);
  });

  it('makes no call for an empty batch', () => {
    expect(splitTimelineBatch({ ops: [] }, () => ['w'])).toEqual([]);
  });
});
