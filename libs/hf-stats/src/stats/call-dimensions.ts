import { BoundedDimensionMap } from './bounded-dimension-map.js';
import type { HfCallRecord } from './hf-call-record.js';

/** Name under which calls are counted when their model (or provider) is not known. */
export const UNKNOWN = 'unknown';

/** One way of splitting a scope's figures by a name of the call. */
export interface CallDimension {
  /** The field of the scope's JSON (`byModel`...). */
  readonly key: string;
  /** The letter of its figures in a Redis hash (`m:<name>|callCount`); the Lua script bounds each letter apart. */
  readonly field: string;
  /** The name a call counts under; undefined: the call does not count in this dimension. */
  readonly nameOf: (call: HfCallRecord) => string | undefined;
}

function modelOf(call: HfCallRecord): string {
  return call.model ?? UNKNOWN;
}

function providerOf(call: HfCallRecord): string {
  return call.provider ?? UNKNOWN;
}

function billToOf(call: HfCallRecord): string | undefined {
  return call.billTo;
}

/**
 * The dimensions of every scope's figures, each within the same bound (`maxModels` names, the rest under
 * `other`). The one place a dimension is declared: the accumulators, the Redis deltas and hashes (and its
 * script) and the JSON of a scope all follow this list. `byBillTo` counts only the calls that name an
 * organisation, so it stays empty where billing is not used.
 */
export const CALL_DIMENSIONS = [
  { key: 'byModel', field: 'm', nameOf: modelOf },
  { key: 'byProvider', field: 'p', nameOf: providerOf },
  { key: 'byBillTo', field: 'b', nameOf: billToOf },
] as const satisfies readonly CallDimension[];

/** The JSON field of each dimension. */
export type HfDimensionKey = (typeof CALL_DIMENSIONS)[number]['key'];

const BY_FIELD: ReadonlyMap<string, number> = new Map(
  CALL_DIMENSIONS.map((dimension, index) => [dimension.field, index]),
);

/** The index in {@link CALL_DIMENSIONS} of a Redis field letter, or undefined. */
export function dimensionOfField(field: string): number | undefined {
  return BY_FIELD.get(field);
}

/** `DimensionMaps` keeps a dimension's one name in one of three fields: a fourth dimension fails to compile here. */
const THREE_DIMENSIONS: 3 = CALL_DIMENSIONS.length;

/** The maps of every `DimensionMaps` that has none yet: one shared, frozen array of undefined. */
const NO_MAPS: readonly undefined[] = Object.freeze(CALL_DIMENSIONS.map(() => undefined));

/**
 * One {@link BoundedDimensionMap} per dimension, each made on first use, so that a scope that never sees a
 * billed call holds no `byBillTo` map.
 *
 * Given `whole` (the scope's own figures), a dimension whose calls all had one name holds no map at all: that
 * name's figures are the scope's, read from `whole`. Most sessions call one model through one provider, so
 * this saves a map and a copy of the figures per dimension and session. The map is made when a second name
 * (or a call without a name) comes, before that call is added to `whole`: the first name then gets a copy of
 * `whole`, counted as its calls, exactly what the map would have held.
 */
export class DimensionMaps<V extends { callCount: number }> {
  /** {@link NO_MAPS} until a dimension needs a map: most sessions never do, and the array costs ~70 bytes each. */
  private maps: ReadonlyArray<BoundedDimensionMap<V> | undefined> = NO_MAPS;
  // Per dimension without a map: the one name all its calls had, once it had one. Three fields rather than an
  // array: about 50 bytes less per session (see `sole`).
  private sole0: string | undefined = undefined;
  private sole1: string | undefined = undefined;
  private sole2: string | undefined = undefined;

  constructor(
    private readonly maxNames: number,
    private readonly create: (name: string) => V,
    private readonly fold: (into: V, from: V) => void,
    private readonly whole?: V,
  ) {}

  /** The figures `weight` calls of `name` add to in dimension `index` (see `BoundedDimensionMap.admit`). */
  admit(index: number, name: string, weight = 1): V {
    return this.mapOf(index).admit(name, weight);
  }

  /**
   * Calls `each(figures, call)` with the figures the call adds to, in every dimension it counts in: call it
   * before the call is added to `whole`. `each` takes the call as an argument so that callers pass a
   * module-level function: nothing is allocated per call.
   */
  add(call: HfCallRecord, each: (figures: V, call: HfCallRecord) => void): void {
    for (let index = 0; index < CALL_DIMENSIONS.length; index += 1) {
      const name = CALL_DIMENSIONS[index].nameOf(call);
      if (this.maps[index] === undefined && this.whole !== undefined) {
        const sole = this.sole(index);
        if (sole === name) {
          continue;
        }
        if (sole === undefined && this.whole.callCount === 0) {
          this.setSole(index, name);
          continue;
        }
        // Another name, or none: the one name so far gets its own figures now.
        this.mapOf(index);
      }
      if (name !== undefined) {
        each(this.admit(index, name), call);
      }
    }
  }

  /** The map of dimension `index`, if used. */
  map(index: number): BoundedDimensionMap<V> | undefined {
    return this.maps[index];
  }

  /** Every dimension's names and figures: `[index, name, figures]`. */
  *entries(): IterableIterator<[number, string, V]> {
    for (let index = 0; index < this.maps.length; index += 1) {
      const sole = this.sole(index);
      if (sole !== undefined && this.whole !== undefined) {
        yield [index, sole, this.whole];
      }
      for (const [name, value] of this.maps[index] ?? []) {
        yield [index, name, value];
      }
    }
  }

  /** `{ byModel, byProvider, byBillTo }`, each a plain object (`__proto__` stays a plain key); unused ones `{}`. */
  toObject<T>(toJSON: (value: V) => T): Record<HfDimensionKey, Record<string, T>> {
    return Object.fromEntries(
      CALL_DIMENSIONS.map((dimension, index) => {
        const sole = this.sole(index);
        const figures =
          sole !== undefined && this.whole !== undefined
            ? Object.fromEntries([[sole, toJSON(this.whole)]])
            : (this.maps[index]?.toObject(toJSON) ?? {});
        return [dimension.key, figures];
      }),
    ) as Record<HfDimensionKey, Record<string, T>>;
  }

  clear(): void {
    this.maps = NO_MAPS;
    this.sole0 = undefined;
    this.sole1 = undefined;
    this.sole2 = undefined;
  }

  /** The one name of dimension `index` (`CALL_DIMENSIONS` has three: see `THREE_DIMENSIONS`). */
  private sole(index: number): string | undefined {
    return index === 0 ? this.sole0 : index === 1 ? this.sole1 : this.sole2;
  }

  private setSole(index: number, name: string | undefined): void {
    if (index === 0) {
      this.sole0 = name;
    } else if (index === 1) {
      this.sole1 = name;
    } else if (index === THREE_DIMENSIONS - 1) {
      this.sole2 = name;
    }
  }

  /** The map of a dimension, made now if need be: its one name so far gets a copy of the scope's figures. */
  private mapOf(index: number): BoundedDimensionMap<V> {
    let map = this.maps[index];
    if (map === undefined) {
      map = new BoundedDimensionMap(this.maxNames, this.create, this.fold);
      // The shared empty array is never written: the first map gets this scope an array of its own.
      const maps: Array<BoundedDimensionMap<V> | undefined> =
        this.maps === NO_MAPS
          ? CALL_DIMENSIONS.map(() => undefined)
          : (this.maps as Array<BoundedDimensionMap<V> | undefined>);
      maps[index] = map;
      this.maps = maps;
      const sole = this.sole(index);
      if (sole !== undefined && this.whole !== undefined) {
        this.setSole(index, undefined);
        this.fold(map.admit(sole, this.whole.callCount), this.whole);
      }
    }
    return map;
  }
}
