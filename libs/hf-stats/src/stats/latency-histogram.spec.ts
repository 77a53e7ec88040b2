import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

const PERCENTILES = [0, 1, 50, 90, 95, 99, 99.9, 100];
// The 2 % bound is exact in real numbers; doubles add a few ulps.
const TOLERANCE = LatencyHistogram.RELATIVE_ACCURACY + 1e-12;
const { MIN_VALUE_MS, MAX_VALUE_MS, ZERO_BUCKET_INDEX, MIN_INDEX, MAX_INDEX } = LatencyHistogram;

function histogramOf(values: readonly number[]): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (const value of values) {
    histogram.record(value);
  }
  return histogram;
}

/** The documented rank definition, applied to exact data. */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p * sorted.length) / 100)));
  return sorted[rank - 1];
}

/** What the histogram is documented to make of a value: 0 below the minimum, the maximum above it. */
function documented(value: number): number {
  return value < MIN_VALUE_MS ? 0 : Math.min(value, MAX_VALUE_MS);
}

function expectWithinAccuracy(values: readonly number[]): void {
  const histogram = histogramOf(values);
  const sorted = values.map(documented).toSorted((a, b) => a - b);
  expect(histogram.count).toBe(values.length);
  for (const p of PERCENTILES) {
    const exact = exactPercentile(sorted, p);
    const estimate = histogram.percentile(p) as number;
    // An exact 0 (the zero bucket) must come back as exactly 0: any other estimate counts as a 100 % error.
    const error = exact === 0 ? Number(estimate !== 0) : Math.abs(estimate - exact) / exact;
    expect(error, `p${p} of ${values.length} values`).toBeLessThanOrEqual(TOLERANCE);
  }
}

const latency = fc.double({ min: MIN_VALUE_MS, max: MAX_VALUE_MS, noNaN: true });
const distributions = {
  'uniform over 0..10 s': fc.array(fc.double({ min: MIN_VALUE_MS, max: 10_000, noNaN: true }), { minLength: 1 }),
  'spread over every magnitude': fc.array(latency, { minLength: 1, maxLength: 300 }),
  'log-normal-ish': fc.array(
    fc
      .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
      .map(([u, v]) => Math.exp(4 + 1.5 * (u + v - 1) * 3)),
    { minLength: 1, maxLength: 500 },
  ),
  'few values, many duplicates': fc
    .tuple(fc.array(latency, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 400 }))
    .map(([choices, picks]) => picks.map((pick) => choices[pick % choices.length])),
  'tiny and huge': fc.array(
    fc.oneof(
      fc.double({ min: MIN_VALUE_MS, max: 0.01, noNaN: true }),
      fc.double({ min: 100_000, max: MAX_VALUE_MS, noNaN: true }),
    ),
    { minLength: 1, maxLength: 300 },
  ),
  'with zeros and clamped values': fc.array(
    fc.oneof(latency, fc.constantFrom(0, -0, 1e-9, 5e-4, MIN_VALUE_MS, MAX_VALUE_MS, 4e6, 1e300, Number.MAX_VALUE)),
    { minLength: 1, maxLength: 300 },
  ),
};

describe('LatencyHistogram', () => {
  describe('bucket scheme', () => {
    it('has the documented, stable constants', () => {
      const gamma = 1.02 / 0.98;
      expect(LatencyHistogram.GAMMA).toBeCloseTo(gamma, 15);
      expect(MIN_INDEX).toBe(Math.ceil(Math.log(MIN_VALUE_MS) / Math.log(gamma)));
      expect(MAX_INDEX).toBe(Math.ceil(Math.log(MAX_VALUE_MS) / Math.log(gamma)));
      expect([MIN_VALUE_MS, MAX_VALUE_MS, ZERO_BUCKET_INDEX, MIN_INDEX, MAX_INDEX]).toEqual([
        1e-3, 3_600_000, -173, -172, 378,
      ]);
      expect(LatencyHistogram.MAX_BUCKETS).toBe(552);
    });

    it('puts hand-picked values in the documented buckets', () => {
      const histogram = histogramOf([1, 1, 1000, 0.5, 0, MIN_VALUE_MS, MAX_VALUE_MS, 1e9]);
      expect(histogram.toBuckets()).toEqual([
        [ZERO_BUCKET_INDEX, 1],
        [MIN_INDEX, 1],
        // 0.5 ms: ceil(ln 0.5 / ln gamma) = ceil(-17.3)
        [-17, 1],
        [0, 2],
        [173, 1],
        [MAX_INDEX, 2],
      ]);
      expect(histogram.count).toBe(8);
    });
  });

  describe('percentiles of hand-picked values', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    const histogram = histogramOf(values);

    it.each([
      [0, 10],
      [1, 10],
      [10, 10],
      [11, 20],
      [50, 50],
      [90, 90],
      [95, 100],
      [99, 100],
      [100, 100],
    ])('p%s is %s within 2 percent', (p, exact) => {
      const estimate = histogram.percentile(p) as number;
      expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(TOLERANCE);
    });

    it('reports a value of bucket i as 2 * gamma^i / (gamma + 1)', () => {
      const gamma = LatencyHistogram.GAMMA;
      expect(histogramOf([1]).percentile(50)).toBeCloseTo(2 / (gamma + 1), 15);
      expect(histogramOf([1000]).percentile(50)).toBeCloseTo((2 * gamma ** 173) / (gamma + 1), 9);
    });

    it('is null when empty, and refuses p outside [0, 100]', () => {
      const empty = new LatencyHistogram();
      expect(empty.count).toBe(0);
      expect(empty.percentile(50)).toBeNull();
      for (const p of [-1, 100.01, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => histogram.percentile(p)).toThrow(RangeError);
      }
      expect(() => histogram.percentile(101)).toThrow(
        'nestjs-hf-stats: LatencyHistogram.percentile: invalid "p": got 101, expected a number in [0, 100].',
      );
    });
  });

  describe('edge values', () => {
    it('ignores negative and non-finite values', () => {
      const histogram = histogramOf([-1, -1e-9, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      expect(histogram.count).toBe(0);
      expect(histogram.toBuckets()).toEqual([]);
    });

    it('counts 0 and values below 1 µs in the zero bucket, read as 0', () => {
      const histogram = histogramOf([0, -0, 1e-9, 9.99e-4]);
      expect(histogram.toBuckets()).toEqual([[ZERO_BUCKET_INDEX, 4]]);
      expect(histogram.percentile(100)).toBe(0);
      histogram.record(MIN_VALUE_MS);
      expect(histogram.percentile(50)).toBe(0);
      expect(Math.abs((histogram.percentile(100) as number) / MIN_VALUE_MS - 1)).toBeLessThanOrEqual(TOLERANCE);
    });

    it('counts values above 1 hour as 1 hour', () => {
      const histogram = histogramOf([4e6, 1e300, Number.MAX_VALUE]);
      expect(histogram.toBuckets()).toEqual([[MAX_INDEX, 3]]);
      expect(Math.abs((histogram.percentile(50) as number) / MAX_VALUE_MS - 1)).toBeLessThanOrEqual(TOLERANCE);
    });

    it('stops a full bucket rather than overflow into the next one', () => {
      const histogram = LatencyHistogram.fromBuckets([
        [0, LatencyHistogram.MAX_BUCKET_COUNT],
        [1, 5],
      ]);
      histogram.record(1);
      histogram.merge(histogram);
      expect(histogram.toBuckets()).toEqual([
        [0, LatencyHistogram.MAX_BUCKET_COUNT],
        [1, 10],
      ]);
      expect(histogram.count).toBe(LatencyHistogram.MAX_BUCKET_COUNT + 10);
    });
  });

  describe('accuracy against exact sorted data', () => {
    for (const [name, values] of Object.entries(distributions)) {
      it(`stays within 2 % at every percentile: ${name}`, () => {
        fc.assert(fc.property(values, expectWithinAccuracy));
      });
    }
  });

  describe('merge', () => {
    const anyValues = fc.array(fc.oneof(latency, fc.constantFrom(0, 1, 2, 1e7)), { maxLength: 200 });

    it('equals the histogram of both inputs together', () => {
      fc.assert(
        fc.property(anyValues, anyValues, (a, b) => {
          const merged = histogramOf(a).merge(histogramOf(b));
          const together = histogramOf([...a, ...b]);
          expect(merged.toBuckets()).toEqual(together.toBuckets());
          expect(merged.count).toBe(together.count);
          expect(PERCENTILES.map((p) => merged.percentile(p))).toEqual(PERCENTILES.map((p) => together.percentile(p)));
        }),
      );
    });

    it('doubles every count when merged into itself', () => {
      const histogram = histogramOf([1, 2, 2, 3]);
      histogram.merge(histogram);
      expect(histogram.toBuckets()).toEqual(histogramOf([1, 1, 2, 2, 2, 2, 3, 3]).toBuckets());
      expect(histogram.count).toBe(8);
    });

    it('leaves the other histogram untouched', () => {
      const other = histogramOf([5, 50]);
      histogramOf([1]).merge(other);
      expect(other.toBuckets()).toEqual(histogramOf([5, 50]).toBuckets());
    });
  });

  describe('toBuckets / fromBuckets', () => {
    it('round-trips', () => {
      fc.assert(
        fc.property(fc.array(fc.oneof(latency, fc.constant(0)), { maxLength: 300 }), (values) => {
          const histogram = histogramOf(values);
          const restored = LatencyHistogram.fromBuckets(histogram.toBuckets());
          expect(restored.toBuckets()).toEqual(histogram.toBuckets());
          expect(restored.count).toBe(histogram.count);
          expect(PERCENTILES.map((p) => restored.percentile(p))).toEqual(
            PERCENTILES.map((p) => histogram.percentile(p)),
          );
        }),
      );
    });

    it('accepts pairs in any order and adds repeated indices', () => {
      const restored = LatencyHistogram.fromBuckets([
        [MAX_INDEX, 1],
        [0, 2],
        [ZERO_BUCKET_INDEX, 3],
        [0, 4],
      ]);
      expect(restored.toBuckets()).toEqual([
        [ZERO_BUCKET_INDEX, 3],
        [0, 6],
        [MAX_INDEX, 1],
      ]);
      expect(restored.count).toBe(10);
    });

    it.each([
      [[[0]], 'an [index, count] pair'],
      [[5], 'an [index, count] pair'],
      [[[-174, 1]], 'an integer index in [-173, 378]'],
      [[[379, 1]], 'an integer index in [-173, 378]'],
      [[[1.5, 1]], 'an integer index in [-173, 378]'],
      [[['1', 1]], 'an integer index in [-173, 378]'],
      [[[0, 0]], 'an integer count in [1, 8796093022207]'],
      [[[0, -1]], 'an integer count in [1, 8796093022207]'],
      [[[0, 1.5]], 'an integer count in [1, 8796093022207]'],
      [[[0, 2 ** 43]], 'an integer count in [1, 8796093022207]'],
    ])('refuses %j', (buckets, allowed) => {
      expect(() => LatencyHistogram.fromBuckets(buckets as Array<[number, number]>)).toThrow(RangeError);
      expect(() => LatencyHistogram.fromBuckets(buckets as Array<[number, number]>)).toThrow(
        `invalid bucket [0]: got ${Array.isArray(buckets[0]) ? `[${buckets[0].join(', ')}]` : '5'}, expected ${allowed}.`,
      );
    });
  });

  describe('memory', () => {
    it('costs 56 bytes empty and grows by doubling from 4 buckets, up to all 552', () => {
      const histogram = new LatencyHistogram();
      expect(histogram.estimatedBytes).toBe(56);
      histogram.record(1);
      expect(histogram.estimatedBytes).toBe(56 + 200 + 8 * 4);
      histogram.record(1);
      expect(histogram.estimatedBytes).toBe(288);
      for (let i = 1; i < 10; i++) {
        histogram.record(LatencyHistogram.GAMMA ** (i - 0.5));
      }
      expect(histogram.bucketCount).toBe(10);
      expect(histogram.estimatedBytes).toBe(56 + 200 + 8 * 16);
      for (let i = 10; i < 100; i++) {
        histogram.record(LatencyHistogram.GAMMA ** (i - 0.5));
      }
      expect(histogram.bucketCount).toBe(100);
      expect(histogram.estimatedBytes).toBe(56 + 200 + 8 * 128);
      for (let i = MIN_INDEX; i <= MAX_INDEX; i++) {
        histogram.record(LatencyHistogram.GAMMA ** (i - 0.5));
      }
      histogram.record(0);
      expect(histogram.bucketCount).toBe(552);
      expect(histogram.estimatedBytes).toBe(56 + 200 + 8 * 552);
    });

    it('releases its buckets on reset', () => {
      const histogram = histogramOf([1, 2, 3]);
      histogram.reset();
      expect(histogram.count).toBe(0);
      expect(histogram.percentile(50)).toBeNull();
      expect(histogram.estimatedBytes).toBe(56);
      histogram.record(7);
      expect(histogram.toBuckets()).toEqual(histogramOf([7]).toBuckets());
    });
  });
});
