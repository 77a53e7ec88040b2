import { ScopeAccumulator } from '../stats/stats-accumulator.js';
import type { HfSessionStats } from '../stats/hf-stats.interfaces.js';

/** One retained session: its figures and lifecycle. Times are epoch milliseconds. */
export class SessionEntry {
  readonly stats: ScopeAccumulator;
  lastActivityAt: number;
  endedAt: number | undefined = undefined;
  /** Whether the one budget warning of this session was given. */
  budgetWarned = false;

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
    };
  }
}
