import { StatsAccumulator } from '../stats/stats-accumulator.js';
import type { HfSessionStats } from '../stats/hf-stats.interfaces.js';

/** One retained session: its figures and lifecycle. Times are epoch milliseconds. */
export class SessionEntry {
  readonly stats = new StatsAccumulator();
  lastActivityAt: number;
  endedAt: number | undefined = undefined;

  constructor(
    readonly sessionId: string,
    public startedAt: number,
  ) {
    this.lastActivityAt = startedAt;
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
