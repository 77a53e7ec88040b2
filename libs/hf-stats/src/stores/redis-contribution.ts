import { planChunks } from './redis-chunk-planner.js';
import type { FlushChunk, SessionView } from './redis-flush-plan.js';
import { ScopeDelta } from './scope-delta.js';

/**
 * Everything this replica has written to Redis in the current epoch and the ones before: what it sends again when
 * Redis lost its data (FLUSHALL, a restart without persistence). Bounded like the memory store: the global
 * figures (maxModels names) and at most maxSessions sessions, the least recently active forgotten first (their
 * calls stay in the global figures).
 */
export class RedisContribution {
  global: ScopeDelta;
  private readonly sessions = new Map<string, SessionView>();

  constructor(
    private readonly maxModels: number,
    private readonly maxSessions: number,
  ) {
    this.global = new ScopeDelta(maxModels);
  }

  /** Adds what an applied chunk wrote. */
  add(chunk: FlushChunk): void {
    if (chunk.global !== undefined) {
      this.global.merge(chunk.global);
    }
    for (const [sessionId, view] of chunk.sessions) {
      let own = this.sessions.get(sessionId);
      if (own === undefined) {
        own = { delta: new ScopeDelta(this.maxModels), startedAt: view.startedAt, lastActivityAt: 0, endedAt: 0 };
      } else {
        // Re-inserted: the map's order is the order of last activity, oldest first.
        this.sessions.delete(sessionId);
      }
      own.delta.merge(view.delta);
      own.startedAt = Math.min(own.startedAt, view.startedAt);
      own.lastActivityAt = Math.max(own.lastActivityAt, view.lastActivityAt);
      own.endedAt = 0;
      this.sessions.set(sessionId, own);
      if (this.sessions.size > this.maxSessions) {
        this.sessions.delete(this.sessions.keys().next().value as string);
      }
    }
  }

  /** Forgets it all: the cluster's figures were reset (`reset({ cluster: true })`), so none is to be restored. */
  clear(): void {
    this.global = new ScopeDelta(this.maxModels);
    this.sessions.clear();
  }

  /** Notes a session's end as the cluster decided it (this replica's clock), so that a restore keeps it ended. */
  noteEnd(sessionId: string, endedAt: number): void {
    const own = this.sessions.get(sessionId);
    if (own !== undefined) {
      own.endedAt = endedAt;
    }
  }

  /** The chunks that write it all again, the first one carrying the totals for the loss counter. */
  restoreChunks(seenCalls: number): FlushChunk[] {
    return planChunks('r', this.sessions, this.global, [], false, {
      seenCalls,
      restoredCalls: this.global.total.callCount,
    });
  }
}
