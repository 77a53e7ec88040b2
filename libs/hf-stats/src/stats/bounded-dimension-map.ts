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

/** A name counted under `other`: space-saving's counter, and the part of it inherited from the name it replaced. */
interface Candidate {
  count: number;
  error: number;
}

/**
 * Figures per name (model now, provider next) within a bound: at most `maxNames` names have their
 * own figures, the rest count under `other`. Frequency-aware: the first names get the slots, and a
 * name counted under `other` takes the slot of the least-used name once it has had more than
 * {@link PROMOTION_FACTOR} times its calls; the evicted figures fold into `other`, and the evicted
 * name is counted there from then on. The calls a name had before it got a slot stay in `other`.
 *
 * Names under `other` are counted in at most `maxNames` counters (the space-saving algorithm: a new
 * name takes the smallest counter over, and only calls it had itself count towards its promotion),
 * so a flood of distinct names costs bounded memory and can never evict a name with real traffic.
 * Finding a known name's figures is one map lookup and allocates nothing.
 *
 * Names are Map keys and leave through `Object.fromEntries`, so `__proto__` and `constructor` are
 * plain names.
 */
export class BoundedDimensionMap<V> implements Iterable<[string, V]> {
  private readonly slots = new Map<string, Slot<V>>();
  /** Made on the first name past the bound: most maps never need it. */
  private candidates: Map<string, Candidate> | undefined = undefined;
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
    let candidate = this.candidates?.get(name);
    if (candidate === undefined) {
      candidate = this.addCandidate(name, weight);
    } else {
      candidate.count += weight;
    }
    const proven = candidate.count - candidate.error;
    // The cached minimum is a lower bound: only when it says "maybe" is the exact one looked up.
    if (proven > PROMOTION_FACTOR * this.minSlotCount && proven > PROMOTION_FACTOR * this.refreshMinSlotCount()) {
      return this.promote(name, proven);
    }
    return this.other();
  }

  /** Space-saving: when the counters are full, the new name takes over the smallest one. */
  private addCandidate(name: string, count: number): Candidate {
    const candidates = (this.candidates ??= new Map());
    let inherited = 0;
    if (candidates.size >= this.maxNames) {
      let smallest: [string, Candidate] | undefined;
      for (const entry of candidates) {
        if (smallest === undefined || entry[1].count < smallest[1].count) {
          smallest = entry;
        }
      }
      if (smallest !== undefined) {
        candidates.delete(smallest[0]);
        inherited = smallest[1].count;
      }
    }
    const candidate = { count: inherited + count, error: inherited };
    candidates.set(name, candidate);
    return candidate;
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
      this.addCandidate(evicted[0], evicted[1].count);
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
