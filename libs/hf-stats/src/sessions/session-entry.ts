import { ScopeAccumulator } from '../stats/stats-accumulator.js';
import type { HfSessionStats } from '../stats/hf-stats.interfaces.js';

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
    return {
      sessionId: this.sessionId,
      active: this.active,
      startedAt: new Date(this.startedAt).toISOString(),
      lastActivityAt: new Date(this.lastActivityAt).toISOString(),
      endedAt: this.endedAt === undefined ? null : new Date(this.endedAt).toISOString(),
      ...this.stats.toJSON(),
      // Only while calls run: an end line written past its wait says how many it could not count.
      ...(this.inFlightCount > 0 ? { inFlightCallCount: this.inFlightCount } : {}),
    };
  }
}
