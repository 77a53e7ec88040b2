import { ScopeAccumulator } from '../stats/stats-accumulator.js';
import type { HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';

/** A session's JSON from its lifecycle (epoch milliseconds; `endedAt` undefined while active) and figures. */
export function sessionJson(
  sessionId: string,
  startedAt: number,
  lastActivityAt: number,
  endedAt: number | undefined,
  stats: HfStats,
): HfSessionStats {
  return {
    sessionId,
    active: endedAt === undefined,
    startedAt: new Date(startedAt).toISOString(),
    lastActivityAt: new Date(lastActivityAt).toISOString(),
    endedAt: endedAt === undefined ? null : new Date(endedAt).toISOString(),
    ...stats,
  };
}

/** One retained session: its figures and lifecycle. Times are epoch milliseconds. */
export class SessionEntry {
  readonly stats: ScopeAccumulator;
  lastActivityAt: number;
  endedAt: number | undefined = undefined;
  /** Whether the one budget warning of this session was given. */
  budgetWarned = false;
  /** Tracked calls of this session started and not yet settled: they count against its budget from their start. */
  inFlightCount = 0;
  /** Texts and nano-dollars that the calls in flight reserved of the budget at their start. */
  reservedTextCount = 0;
  reservedCostNanoUsd = 0;
  /** Ends written so far: a call that started before the last one settles without reopening the session. */
  generation = 0;
  /**
   * True once the registry let the entry go (evicted, or `reset()`): a call that held it then finds its session by
   * id. While false the entry is the registry's one for its id, active or ended.
   */
  detached = false;

  constructor(
    readonly sessionId: string,
    public startedAt: number,
    maxModels: number,
  ) {
    this.lastActivityAt = startedAt;
    this.stats = new ScopeAccumulator(maxModels);
  }

  get active(): boolean {
    return this.endedAt === undefined;
  }

  toJSON(): HfSessionStats {
    const json = sessionJson(this.sessionId, this.startedAt, this.lastActivityAt, this.endedAt, this.stats.toJSON());
    if (this.inFlightCount > 0) {
      // Only while calls run: an end line written past its wait says how many it could not count.
      json.inFlightCallCount = this.inFlightCount;
    }
    return json;
  }
}
