import { BoundedDimensionMap } from '../stats/bounded-dimension-map.js';
import { encodeField } from '../stores/field-encoding.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import { UNKNOWN_MODEL } from '../stats/stats-accumulator.js';
import { MinuteFigures, TIMELINE_BUCKET_MS, type MinuteSlot } from './timeline-minute.js';

/** One buffered minute. */
interface BufferedMinute extends MinuteSlot {
  readonly byModel: BoundedDimensionMap<MinuteFigures>;
}

function newMinute(): MinuteFigures {
  return new MinuteFigures();
}

function mergeMinute(into: MinuteFigures, from: MinuteFigures): void {
  into.merge(from);
}

/**
 * The per-minute figures recorded since the last write of the shared timeline (Redis store): the minutes touched
 * only, at most `maxMinutes` of them (a call of another minute past that is dropped and counted), each bounded like
 * a slot of the ring (`maxModels` names and `other`). A call costs what it costs the ring: one comparison when it
 * falls in the same minute as the last one, one map lookup otherwise.
 */
export class TimelineBuffer {
  readonly minutes = new Map<number, BufferedMinute>();
  droppedCallCount = 0;
  private lastMinute = Number.NaN;
  private last: BufferedMinute | undefined;

  constructor(
    private readonly maxMinutes: number,
    private readonly maxModels: number,
  ) {}

  get isEmpty(): boolean {
    return this.minutes.size === 0;
  }

  add(call: HfCallRecord): void {
    const minute = Math.floor(call.endedAt / TIMELINE_BUCKET_MS);
    let slot = minute === this.lastMinute ? this.last : this.minutes.get(minute);
    if (slot === undefined) {
      if (this.minutes.size >= this.maxMinutes) {
        this.droppedCallCount += 1;
        return;
      }
      slot = {
        global: new MinuteFigures(),
        byModel: new BoundedDimensionMap(this.maxModels, newMinute, mergeMinute),
      };
      this.minutes.set(minute, slot);
    }
    this.lastMinute = minute;
    this.last = slot;
    slot.global.add(call);
    slot.byModel.admit(call.model ?? UNKNOWN_MODEL).add(call);
  }

  /**
   * The hash updates of each minute, for the timeline script: `[minute, triples]`, the global figures under `t`,
   * each model's under `m:<encoded name>` (Redis keeps at most `maxModels` names per minute, the rest under
   * `m:other`, like the flush script).
   */
  toOps(): Array<[minute: number, ops: string[]]> {
    const out: Array<[number, string[]]> = [];
    for (const [minute, slot] of this.minutes) {
      const ops: string[] = [];
      slot.global.writeOps('t', ops);
      for (const [model, figures] of slot.byModel) {
        figures.writeOps(`m:${encodeField(model)}`, ops);
      }
      out.push([minute, ops]);
    }
    return out;
  }
}
