import { invalidHistogramBucket, invalidPercentile } from '../hf-stats.messages.js';

// The bucket scheme. Stored bucket indices depend on these numbers only: never change them once histograms
// are persisted.
const RELATIVE_ACCURACY = 0.02;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
const MIN_VALUE_MS = 1e-3;
const MAX_VALUE_MS = 3_600_000;
// ceil(log_gamma(MIN_VALUE_MS)) and ceil(log_gamma(MAX_VALUE_MS)), written out so that the scheme reads
// at a glance; the spec recomputes them.
const MIN_INDEX = -172;
const MAX_INDEX = 378;
const ZERO_BUCKET_INDEX = MIN_INDEX - 1;
const MAX_BUCKETS = MAX_INDEX - ZERO_BUCKET_INDEX + 1;

// One typed array costs about 200 bytes of V8 overhead before its data, so each bucket is packed into a
// single float64, `slot * SLOT_SPAN + count` (slot = index - ZERO_BUCKET_INDEX): sorting the numbers sorts the
// buckets, and adding to a count is exact integer arithmetic (552 * 2^43 < 2^53).
const SLOT_SPAN = 2 ** 43;
const MAX_BUCKET_COUNT = SLOT_SPAN - 1;
const INITIAL_CAPACITY = 4;

// Measured on Node 20 (V8 without pointer compression); see `estimatedBytes`.
const OBJECT_BYTES = 56;
const TYPED_ARRAY_BYTES = 200;
const BYTES_PER_BUCKET = Float64Array.BYTES_PER_ELEMENT;

// Shared by every empty histogram: its capacity is 0, so the first insert replaces it before any write.
const NO_BUCKETS = new Float64Array(0);

// One call's duration is recorded in several histograms in a row (its scopes, its models, the
// timeline): remembering the last bucket saves the logarithm for all but the first.
let lastValueMs = Number.NaN;
let lastIndex = 0;

function indexOf(valueMs: number): number {
  if (valueMs === lastValueMs) {
    return lastIndex;
  }
  lastIndex = bucketIndexOf(valueMs);
  lastValueMs = valueMs;
  return lastIndex;
}

function bucketIndexOf(valueMs: number): number {
  if (valueMs < MIN_VALUE_MS) {
    return ZERO_BUCKET_INDEX;
  }
  if (valueMs >= MAX_VALUE_MS) {
    return MAX_INDEX;
  }
  return Math.ceil(Math.log(valueMs) / LOG_GAMMA);
}

function estimateOf(index: number): number {
  return index === ZERO_BUCKET_INDEX ? 0 : (2 * GAMMA ** index) / (GAMMA + 1);
}

function slotOf(entry: number): number {
  return Math.floor(entry / SLOT_SPAN);
}

function nextCapacity(current: number, needed: number): number {
  let capacity = Math.max(current, INITIAL_CAPACITY);
  while (capacity < needed) {
    capacity *= 2;
  }
  return Math.min(capacity, MAX_BUCKETS);
}

/**
 * Latency histogram for percentiles with a relative error of at most 2 % on every returned value.
 *
 * Bucket `i` holds the values `v` with `gamma^(i-1) < v <= gamma^i`, that is `i = ceil(log_gamma(v))`,
 * where `gamma = (1 + 0.02) / (1 - 0.02)`; it reports `2 * gamma^i / (gamma + 1)`, which is within 2 % of
 * every value of the bucket (plus floating-point rounding, below 1e-12 relative). The ends are special:
 * - values below {@link LatencyHistogram.MIN_VALUE_MS} (1e-3 ms = 1 µs), 0 included, go to the zero bucket,
 *   index {@link LatencyHistogram.ZERO_BUCKET_INDEX} (-173), and read as 0: an absolute error below 1 µs;
 * - values above {@link LatencyHistogram.MAX_VALUE_MS} (1 hour) are counted as 1 hour (bucket 378), so a
 *   percentile that falls on them reads about 1 hour (within 2 %), whatever the real value.
 *
 * Only non-empty buckets are stored, sorted, one float64 each, in a typed array that grows by doubling from
 * 4 slots up to the 552 possible buckets: see {@link LatencyHistogram.estimatedBytes}. A bucket counts up to
 * 2^43 - 1 (8.8e12) values; beyond that, its further values are dropped rather than corrupt the histogram.
 */
export class LatencyHistogram {
  /** Largest relative error of a returned percentile (outside the zero bucket and the clamp). */
  static readonly RELATIVE_ACCURACY = RELATIVE_ACCURACY;
  /** `(1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)`: the ratio between consecutive bucket bounds. */
  static readonly GAMMA = GAMMA;
  /** Smallest value with a bucket of its own; smaller values land in the zero bucket and read as 0. */
  static readonly MIN_VALUE_MS = MIN_VALUE_MS;
  /** Largest value told apart (1 hour); larger values are counted as this one. */
  static readonly MAX_VALUE_MS = MAX_VALUE_MS;
  /** Index of the zero bucket, one below {@link LatencyHistogram.MIN_INDEX}. */
  static readonly ZERO_BUCKET_INDEX = ZERO_BUCKET_INDEX;
  /** Index of the bucket of {@link LatencyHistogram.MIN_VALUE_MS}. */
  static readonly MIN_INDEX = MIN_INDEX;
  /** Index of the bucket of {@link LatencyHistogram.MAX_VALUE_MS} and of every clamped value. */
  static readonly MAX_INDEX = MAX_INDEX;
  /** Number of possible buckets, the zero bucket included. */
  static readonly MAX_BUCKETS = MAX_BUCKETS;
  /** Most values one bucket counts. */
  static readonly MAX_BUCKET_COUNT = MAX_BUCKET_COUNT;

  private buckets: Float64Array = NO_BUCKETS;
  private size = 0;
  private total = 0;

  /** Number of recorded values. */
  get count(): number {
    return this.total;
  }

  /** Number of non-empty buckets. */
  get bucketCount(): number {
    return this.size;
  }

  /**
   * Approximate heap cost in bytes: `56` when empty, else `56 + 200 + 8 * capacity`, where capacity is the
   * number of allocated bucket slots (4, 8, 16, …, 512, 552). Constants measured on Node 20 (64-bit V8).
   */
  get estimatedBytes(): number {
    const capacity = this.buckets.length;
    return OBJECT_BYTES + (capacity > 0 ? TYPED_ARRAY_BYTES + BYTES_PER_BUCKET * capacity : 0);
  }

  /**
   * Counts one latency in milliseconds. Negative, `NaN` and infinite values are ignored (not counted): they
   * can only come from a broken clock or a caller bug. Allocates only when a new bucket needs room.
   */
  record(valueMs: number): void {
    if (!(valueMs >= 0) || valueMs === Number.POSITIVE_INFINITY) {
      return;
    }
    this.add(indexOf(valueMs), 1);
  }

  /**
   * The value at rank `ceil(p * count / 100)` (1-based, at least 1) of the recorded values in ascending order,
   * within 2 % (see the class comment); `null` when nothing was recorded. `p` = 0 gives the minimum and
   * `p` = 100 the maximum.
   * @param p Percentile in [0, 100].
   * @throws RangeError when `p` is not a number in [0, 100].
   */
  percentile(p: number): number | null {
    if (!(p >= 0 && p <= 100)) {
      throw invalidPercentile(p);
    }
    if (this.total === 0) {
      return null;
    }
    const rank = Math.min(this.total, Math.max(1, Math.ceil((p * this.total) / 100)));
    let seen = 0;
    let i = 0;
    for (; i < this.size - 1; i++) {
      seen += this.buckets[i] - slotOf(this.buckets[i]) * SLOT_SPAN;
      if (seen >= rank) {
        break;
      }
    }
    return estimateOf(slotOf(this.buckets[i]) + ZERO_BUCKET_INDEX);
  }

  /** Adds every value of `other` to this histogram, as if each had been recorded here. Returns `this`. */
  merge(other: LatencyHistogram): this {
    const count = other.size;
    if (count === 0) {
      return this;
    }
    // Safe when `other` is `this`: every bucket then exists, so `add` moves nothing, and entry j is read before
    // it is written.
    const entries = other.buckets;
    for (let j = 0; j < count; j++) {
      const slot = slotOf(entries[j]);
      this.add(slot + ZERO_BUCKET_INDEX, entries[j] - slot * SLOT_SPAN);
    }
    return this;
  }

  /** Forgets every value and releases the bucket storage. */
  reset(): void {
    this.buckets = NO_BUCKETS;
    this.size = 0;
    this.total = 0;
  }

  /**
   * The non-empty buckets as `[index, count]` pairs in ascending index order. Indices follow the scheme of the
   * class comment (-173 for the zero bucket, then -172 to 378) and stay stable across versions, so they can be
   * stored and merged elsewhere.
   */
  toBuckets(): Array<[index: number, count: number]> {
    const result: Array<[index: number, count: number]> = [];
    for (let i = 0; i < this.size; i++) {
      const slot = slotOf(this.buckets[i]);
      result.push([slot + ZERO_BUCKET_INDEX, this.buckets[i] - slot * SLOT_SPAN]);
    }
    return result;
  }

  /**
   * Rebuilds a histogram from `toBuckets()` output. Pairs may come in any order; repeated indices add up.
   * @throws RangeError when a pair is malformed, an index is not an integer in [-173, 378] or a count is not an
   * integer in [1, {@link LatencyHistogram.MAX_BUCKET_COUNT}].
   */
  static fromBuckets(buckets: ReadonlyArray<readonly [index: number, count: number]>): LatencyHistogram {
    const histogram = new LatencyHistogram();
    if (buckets.length > 0) {
      histogram.grow(nextCapacity(0, Math.min(MAX_BUCKETS, buckets.length)));
    }
    for (let position = 0; position < buckets.length; position++) {
      const bucket: unknown = buckets[position];
      if (!Array.isArray(bucket) || bucket.length !== 2) {
        throw invalidHistogramBucket(position, bucket, 'an [index, count] pair');
      }
      const [index, count] = bucket as [unknown, unknown];
      if (typeof index !== 'number' || !Number.isInteger(index) || index < ZERO_BUCKET_INDEX || index > MAX_INDEX) {
        throw invalidHistogramBucket(position, bucket, `an integer index in [${ZERO_BUCKET_INDEX}, ${MAX_INDEX}]`);
      }
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_BUCKET_COUNT) {
        throw invalidHistogramBucket(position, bucket, `an integer count in [1, ${MAX_BUCKET_COUNT}]`);
      }
      histogram.add(index, count);
    }
    return histogram;
  }

  private add(index: number, count: number): void {
    const base = (index - ZERO_BUCKET_INDEX) * SLOT_SPAN;
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.buckets[middle] < base) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    if (low < this.size && this.buckets[low] < base + SLOT_SPAN) {
      const added = Math.min(count, base + MAX_BUCKET_COUNT - this.buckets[low]);
      this.buckets[low] += added;
      this.total += added;
      return;
    }
    if (this.size === this.buckets.length) {
      this.grow(nextCapacity(this.size, this.size + 1));
    }
    this.buckets.copyWithin(low + 1, low, this.size);
    this.buckets[low] = base + count;
    this.size++;
    this.total += count;
  }

  private grow(capacity: number): void {
    const buckets = new Float64Array(capacity);
    buckets.set(this.buckets.subarray(0, this.size));
    this.buckets = buckets;
  }
}
