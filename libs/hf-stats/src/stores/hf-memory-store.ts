import type { HfSessionPageOf, HfSessionPageQuery } from '../sessions/session-page.js';
import { SessionRegistry } from '../sessions/session-registry.js';
import type { SessionEntry } from '../sessions/session-entry.js';
import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import { ScopeAccumulator } from '../stats/stats-accumulator.js';
import type { HfLocalFigures, HfStatsStore } from './hf-stats-store.js';

/** The bounds of the figures a memory store holds: the `maxModels` and `maxSessions` options. */
export interface HfMemoryStoreLimits {
  maxModels: number;
  maxSessions: number;
}

/**
 * The default store: this process's figures, in memory. It holds the global figures and the retained sessions;
 * the session lifecycle (starts, ends, idle, eviction) acts on its registry, and the Redis store builds on one.
 */
export class HfMemoryStore implements HfStatsStore, HfLocalFigures {
  readonly type = 'memory';
  readonly partial = false;
  readonly sharedSessions = false;
  readonly global: ScopeAccumulator;
  readonly sessions: SessionRegistry;

  constructor(limits: HfMemoryStoreLimits) {
    this.global = new ScopeAccumulator(limits.maxModels);
    this.sessions = new SessionRegistry(limits.maxSessions, limits.maxModels);
  }

  get local(): HfLocalFigures {
    return this;
  }

  /** New sessions refused because every retained session was active at `maxSessions`. */
  get sessionOverflowCount(): number {
    return this.sessions.overflowCount;
  }

  start(): void {}

  /** Folds a call into the global figures and into its session, if the lifecycle kept one for it. */
  record(call: HfCallRecord, session?: SessionEntry): void {
    this.global.add(call);
    this.recordInSession(call, session);
  }

  /**
   * Folds a call into its session only (the Redis store shows the cluster's global figures, not these): `session`
   * when given (the registry's entry for the call's id), else the one the registry holds.
   */
  recordInSession(call: HfCallRecord, session?: SessionEntry): void {
    if (call.sessionId !== undefined) {
      (session ?? this.sessions.get(call.sessionId))?.stats.add(call);
    }
  }

  // The registry is moved by the session lifecycle itself: nothing more to note here.
  touchSession(): void {}

  endSession(): void {}

  globalStats(): HfStats {
    return this.global.toJSON();
  }

  sessionStats(sessionId: string): HfSessionStats | undefined {
    return this.sessions.get(sessionId)?.toJSON();
  }

  listSessions(query: HfSessionPageQuery): HfSessionPageOf<HfSessionStats> {
    const page = this.sessions.page(query);
    return { ...page, items: page.items.map((entry) => entry.toJSON()) };
  }

  recentActiveSessions(limit: number): HfSessionStats[] {
    return this.sessions.list(true, limit).map((entry) => entry.toJSON());
  }

  activeSessionCount(): number {
    return this.sessions.activeCount;
  }

  reset(): void {
    this.global.reset();
    this.sessions.clear();
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
