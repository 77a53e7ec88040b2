import { describe, expect, it } from 'vitest';
import { BoundedDimensionMap, OTHER, PROMOTION_FACTOR } from './bounded-dimension-map.js';

/** Figures of a name for these specs: its calls. */
interface Calls {
  count: number;
}

function countingMap(maxNames: number): BoundedDimensionMap<Calls> {
  return new BoundedDimensionMap<Calls>(
    maxNames,
    () => ({ count: 0 }),
    (into, from) => {
      into.count += from.count;
    },
  );
}

function call(map: BoundedDimensionMap<Calls>, name: string, times = 1): void {
  for (let i = 0; i < times; i++) {
    map.admit(name).count += 1;
  }
}

function counts(map: BoundedDimensionMap<Calls>): Record<string, number> {
  return map.toObject((calls) => calls.count);
}

function total(map: BoundedDimensionMap<Calls>): number {
  return Object.values(counts(map)).reduce((sum, count) => sum + count, 0);
}

describe('BoundedDimensionMap', () => {
  it('gives the first names their own figures and counts the rest under "other"', () => {
    const map = countingMap(2);
    for (const name of ['a', 'b', 'c', 'a', 'd']) {
      call(map, name);
    }
    expect(counts(map)).toEqual({ a: 2, b: 1, other: 2 });
    expect(map.size).toBe(3);
    expect(map.get('c')).toBeUndefined();
    expect(map.get(OTHER)?.count).toBe(2);
  });

  it('gives a name under "other" the least-used slot once it has had more than twice its calls; the evicted figures fold into "other"', () => {
    const map = countingMap(2);
    call(map, 'a', 10);
    call(map, 'b', 3);
    call(map, 'c', PROMOTION_FACTOR * 3);
    expect(map.get('c')).toBeUndefined();
    call(map, 'c', 4);
    // c took b's slot on its 7th call: its first 6 calls and b's 3 are in "other".
    expect(counts(map)).toEqual({ a: 10, c: 4, other: 9 });
    expect(total(map)).toBe(23);
  });

  it('lets two names of equal traffic keep their slots rather than take them in turn', () => {
    const map = countingMap(1);
    call(map, 'a', 5);
    for (let i = 0; i < 100; i++) {
      call(map, 'b');
      call(map, 'a');
    }
    expect(counts(map)).toEqual({ a: 105, other: 100 });
  });

  it('never lets a flood of distinct names evict names with traffic, and a new name with traffic still wins a slot in it', () => {
    const map = countingMap(5);
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      call(map, name, 100);
    }
    for (let i = 0; i < 100_000; i++) {
      call(map, `junk-${i}`);
    }
    expect(counts(map)).toEqual({ a: 100, b: 100, c: 100, d: 100, e: 100, other: 100_000 });

    const flooded = countingMap(5);
    for (let i = 0; i < 50_000; i++) {
      call(flooded, `junk-${i}`);
    }
    // One real call for every two junk names: in the flood, it is the only name that repeats.
    for (let i = 0; i < 600; i++) {
      call(flooded, `late-junk-${2 * i}`);
      call(flooded, `late-junk-${2 * i + 1}`);
      call(flooded, 'real');
    }
    expect(flooded.get('real')?.count).toBeGreaterThanOrEqual(590);
    expect(flooded.size).toBeLessThanOrEqual(6);
    expect(total(flooded)).toBe(50_000 + 1_800);
  });

  it('counts a name called "other" under "other", and keeps __proto__ and constructor as plain names', () => {
    const map = countingMap(3);
    for (const name of ['__proto__', 'constructor', OTHER, '__proto__']) {
      call(map, name);
    }
    const object = counts(map);
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.keys(object)).toEqual(['__proto__', 'constructor', 'other']);
    expect(JSON.parse(JSON.stringify(object))).toEqual({ ['__proto__']: 2, constructor: 1, other: 1 });
  });

  it('weighs a merge by its calls', () => {
    const map = countingMap(1);
    map.admit('a', 2).count += 2;
    map.admit('b', 10).count += 10;
    expect(counts(map)).toEqual({ b: 10, other: 2 });
  });

  it('clear() forgets every name and counter', () => {
    const map = countingMap(1);
    call(map, 'a', 3);
    call(map, 'b', 2);
    map.clear();
    call(map, 'b');
    expect(counts(map)).toEqual({ b: 1 });
  });
});
