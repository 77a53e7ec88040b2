/** Label under which names past a bound are counted. */
export const OTHER = 'other';

/**
 * How much more traffic a name counted under `other` needs than the least-used slot before it takes
 * that slot. Above 1, so that two names of about equal traffic never take each other's slot in turn.
 */
export const PROMOTION_FACTOR = 2;

interface Slot<V> {
  readonly value: V;
  /** Calls this name is known to have had (those before it got the slot included). */
  count: number;
}

/**
 * Figures per name (model now, provider next) within a bound: at most `maxNames` names have their
 * own figures, the rest count under `other`. Frequency-aware: the first names get the slots, and a
 * name counted under `other` takes the slot of the least-used name once it has had more than
 * {@link PROMOTION_FACTOR} times its calls; the evicted figures fold into `other`, and the evicted
 * name is counted there from then on. The calls a name had before it got a slot stay in `other`.
 *
 * Names under `other` are counted in at most `maxNames` counters (the Misra-Gries algorithm: when
 * they are full, a new name lowers every counter instead of getting one), so a counter is never
 * more than the name's calls, a name with more than 1/(maxNames + 1) of the calls under `other`
 * always has one, and a flood of distinct names costs bounded memory and amortized constant time
 * and never takes a slot (none of them gets past 1). Finding a known name's figures is one map
 * lookup and allocates nothing.
 *
 * Names are Map keys and leave through `Object.fromEntries`, so `__proto__` and `constructor` are
 * plain names.
 */
export class BoundedDimensionMap<V> implements Iterable<[string, V]> {
  private readonly slots = new Map<string, Slot<V>>();
  /** Calls of names under `other`, lower bounds; made on the first name past the bound: most maps never need it. */
  private candidates: Map<string, number> | undefined = undefined;
  private otherValue: V | undefined = undefined;
  /** A lower bound of the smallest slot count: counts only grow, so a stale value is too low, never too high. */
  private minSlotCount = 0;

  /**
   * @param create makes the empty figures of a name (or of `other`).
   * @param fold adds the figures of an evicted name to `other`'s.
   */
  constructor(
    readonly maxNames: number,
    private readonly create: (name: string) => V,
    private readonly fold: (into: V, from: V) => void,
  ) {}

  /** Names with figures of their own, plus `other` once used. At most `maxNames + 1`. */
  get size(): number {
    return this.slots.size + (this.otherValue === undefined ? 0 : 1);
  }

  /**
   * The figures that `weight` calls of `name` add to: the name's own, or `other`'s. Counts them
   * towards the name's slot, which it may take now.
   */
  admit(name: string, weight = 1): V {
    const slot = this.slots.get(name);
    if (slot !== undefined) {
      slot.count += weight;
      return slot.value;
    }
    if (name === OTHER) {
      return this.other();
    }
    if (this.slots.size < this.maxNames) {
      const value = this.create(name);
      this.slots.set(name, { value, count: weight });
      this.minSlotCount = Math.min(this.minSlotCount, weight);
      return value;
    }
    return this.countUnderOther(name, weight);
  }

  /** The figures of a name with a slot, or of `other`; undefined for any other name. Changes nothing. */
  get(name: string): V | undefined {
    return this.slots.get(name)?.value ?? (name === OTHER ? this.otherValue : undefined);
  }

  /** Names with figures of their own, then `other` once used. */
  *[Symbol.iterator](): IterableIterator<[string, V]> {
    for (const [name, slot] of this.slots) {
      yield [name, slot.value];
    }
    if (this.otherValue !== undefined) {
      yield [OTHER, this.otherValue];
    }
  }

  keys(): IterableIterator<string> {
    return Array.from(this, ([name]) => name).values();
  }

  /** A plain object of every name's figures as `toJSON` maps them; `__proto__` stays a plain key. */
  toObject<T>(toJSON: (value: V) => T): Record<string, T> {
    return Object.fromEntries(Array.from(this, ([name, value]) => [name, toJSON(value)]));
  }

  clear(): void {
    this.slots.clear();
    this.candidates = undefined;
    this.otherValue = undefined;
    this.minSlotCount = 0;
  }

  private other(): V {
    return (this.otherValue ??= this.create(OTHER));
  }

  private countUnderOther(name: string, weight: number): V {
    const counted = this.countCandidate(name, weight);
    // The cached minimum is a lower bound: only when it says "maybe" is the exact one looked up.
    if (counted > PROMOTION_FACTOR * this.minSlotCount && counted > PROMOTION_FACTOR * this.refreshMinSlotCount()) {
      return this.promote(name, counted);
    }
    return this.other();
  }

  /**
   * Misra-Gries, weighted: adds `weight` to the name's counter; when every counter is taken, first
   * lowers them all by as much as the smallest one (or the weight, if less) and drops those at 0.
   * Each lowering costs one pass but takes at least as many calls off the counters as it visits, so
   * the passes cost no more, in all, than the calls counted. Returns the name's counter (0: none).
   */
  private countCandidate(name: string, weight: number): number {
    const candidates = (this.candidates ??= new Map());
    const current = candidates.get(name);
    if (current !== undefined) {
      candidates.set(name, current + weight);
      return current + weight;
    }
    let left = weight;
    if (candidates.size >= this.maxNames) {
      let smallest = Number.POSITIVE_INFINITY;
      for (const count of candidates.values()) {
        smallest = Math.min(smallest, count);
      }
      const lowered = Math.min(left, smallest);
      for (const [other, count] of candidates) {
        if (count <= lowered) {
          candidates.delete(other);
        } else {
          candidates.set(other, count - lowered);
        }
      }
      left -= lowered;
    }
    if (left > 0) {
      candidates.set(name, left);
    }
    return left;
  }

  private promote(name: string, count: number): V {
    let evicted: [string, Slot<V>] | undefined;
    for (const entry of this.slots) {
      if (evicted === undefined || entry[1].count < evicted[1].count) {
        evicted = entry;
      }
    }
    this.candidates?.delete(name);
    if (evicted !== undefined) {
      this.slots.delete(evicted[0]);
      this.fold(this.other(), evicted[1].value);
      this.countCandidate(evicted[0], evicted[1].count);
    }
    const value = this.create(name);
    this.slots.set(name, { value, count });
    return value;
  }

  private refreshMinSlotCount(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const slot of this.slots.values()) {
      min = Math.min(min, slot.count);
    }
    this.minSlotCount = min === Number.POSITIVE_INFINITY ? 0 : min;
    return this.minSlotCount;
  }
}
