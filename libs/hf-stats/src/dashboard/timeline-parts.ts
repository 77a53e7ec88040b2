import { BoundedDimensionMap } from '../stats/bounded-dimension-map.js';
import { LatencyHistogram } from '../stats/latency-histogram.js';
import { decodeField } from '../stores/field-encoding.js';
import { MinuteFigures, type MinuteSlot } from './timeline-minute.js';

/*
 * How a replica puts one minute of the cluster's timeline together: the minute as Redis holds it, then what this
 * replica is writing and has buffered since (not yet in Redis).
 */

function newMinute(): MinuteFigures {
  return new MinuteFigures();
}

function mergeMinute(into: MinuteFigures, from: MinuteFigures): void {
  into.merge(from);
}

function emptySlot(maxModels: number): { global: MinuteFigures; byModel: BoundedDimensionMap<MinuteFigures> } {
  return { global: new MinuteFigures(), byModel: new BoundedDimensionMap(maxModels, newMinute, mergeMinute) };
}

/** A minute from the fields of its hash (`t|…` global, `m:<name>|…` per model); undefined when empty. */
export function minuteOfHash(fields: Map<string, string>, maxModels: number): MinuteSlot | undefined {
  if (fields.size === 0) {
    return undefined;
  }
  const slot = emptySlot(maxModels);
  const buckets = new Map<MinuteFigures, Array<[number, number]>>();
  for (const [field, raw] of fields) {
    const bar = field.indexOf('|');
    const scope = field.slice(0, Math.max(0, bar));
    let figures: MinuteFigures;
    if (scope === 't') {
      figures = slot.global;
    } else if (scope.startsWith('m:')) {
      // Weight 0: fields arrive in any order, so no name may take another's slot halfway through.
      figures = slot.byModel.admit(decodeField(scope.slice(2)), 0);
    } else {
      continue;
    }
    let list = buckets.get(figures);
    if (list === undefined) {
      list = [];
      buckets.set(figures, list);
    }
    figures.readField(field.slice(bar + 1), raw, list);
  }
  for (const [figures, list] of buckets) {
    figures.latency.merge(LatencyHistogram.fromBuckets(list));
  }
  return slot;
}

/** The parts of one minute added up (none changed); undefined when none holds it. */
export function mergedMinute(parts: ReadonlyArray<MinuteSlot | undefined>, maxModels: number): MinuteSlot | undefined {
  let slot: ReturnType<typeof emptySlot> | undefined;
  for (const part of parts) {
    if (part === undefined) {
      continue;
    }
    slot ??= emptySlot(maxModels);
    slot.global.merge(part.global);
    for (const [model, figures] of part.byModel) {
      slot.byModel.admit(model, figures.callCount).merge(figures);
    }
  }
  return slot;
}
