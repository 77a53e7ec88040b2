import type { HfCallRecord } from '../stats/hf-call-record.js';
import type { HfSessionPageOf, HfSessionPageQuery } from '../sessions/session-page.js';
import type { HfSessionEndReason, HfSessionStats, HfStats } from '../stats/hf-stats.interfaces.js';
import type { SessionRegistry } from '../sessions/session-registry.js';
import type { SessionEntry } from '../sessions/session-entry.js';
import type { HfBudgetLeaseSource } from '../stats/budget-leases.js';
import type { ScopeAccumulator } from '../stats/stats-accumulator.js';
import type { HfSharedTimeline } from './redis-shared-timeline.js';

/** What an asynchronous read of a store answered, and whether it is this process's view only (shared store away). */
export interface HfStoreRead<T> {
  value: T;
  partial: boolean;
}

/** Hears the session ends a store decided (with a shared store, once per cluster). */
export type HfSessionEndHandler = (session: HfSessionStats, reason: HfSessionEndReason) => void;

/**
 * This process's own figures, which the session lifecycle and the budgets act on: the memory store's, which a
 * shared store builds on.
 */
export interface HfLocalFigures {
  readonly global: ScopeAccumulator;
  readonly sessions: SessionRegistry;
}

/**
 * The owner of the figures that readers see: the memory store holds this process's own; the Redis store
 * builds on them and shows the whole cluster's.
 *
 * Every method but `start`, `flush` and `close` is synchronous and must never wait on I/O: `record` runs on
 * the path of each tracked call. Like `@nestjs/throttler`'s storage, the interface and its injection token
 * share one name.
 */
export interface HfStatsStore {
  /** `'memory'` (this process only) or `'redis'` (shared by every replica). */
  readonly type: 'memory' | 'redis';
  /** True while the figures shown miss other replicas' latest ones (the shared store is unreachable). */
  readonly partial: boolean;
  /** Whether session ends are decided by the store (once per cluster) rather than by each process. */
  readonly sharedSessions: boolean;
  /** This process's own figures (the memory store itself, or the one a shared store builds on). */
  readonly local: HfLocalFigures;
  /** Starts background work (the Redis store's flush timer); `onSessionEnd` hears the ends it decides. */
  start(onSessionEnd: HfSessionEndHandler): void;
  /**
   * Folds one finished call. Synchronous, no I/O. `session`: the retained session of the call's id when the caller
   * has it at hand (else it is looked up by id).
   */
  record(call: HfCallRecord, session?: SessionEntry): void;
  /** Marks a session as used now (a session started by `runInSession` before any call). */
  touchSession(sessionId: string, now: number): void;
  /** A session ended on this process (`endSession`, `runInSession`, idle, shutdown). */
  endSession(sessionId: string, reason: HfSessionEndReason, now: number): void;
  /** Global figures to show. */
  globalStats(): HfStats;
  /** One session's figures to show; undefined when the store knows no such session. */
  sessionStats(sessionId: string): HfSessionStats | undefined;
  /**
   * One page of the sessions to list, in the order and with the counts of `pageSessions` (active first, then
   * the most recently active, ties by id; keyset paging after `query.after`). Builds the figures of the sessions
   * on the page only.
   */
  listSessions(query: HfSessionPageQuery): HfSessionPageOf<HfSessionStats>;
  /**
   * The `limit` most recently active active sessions, most recent first, built without building the others (for
   * the summary line).
   */
  recentActiveSessions(limit: number): HfSessionStats[];
  /** Number of active sessions. */
  activeSessionCount(): number;
  /**
   * One session as the whole store holds it now, read when asked (the Redis store reads Redis: any session of the
   * cluster). Absent: `sessionStats` is the whole store's view. Never rejects: when the shared store can't be read,
   * `sessionStats`'s answer with `partial: true`.
   */
  readSession?(sessionId: string): Promise<HfStoreRead<HfSessionStats | undefined>>;
  /**
   * One page of every session the whole store holds, read when asked; otherwise as `readSession`. It may stop
   * reading once its sessions hold more than `maxBytes` of JSON (the reader cuts the page there).
   */
  readSessions?(query: HfSessionPageQuery, maxBytes?: number): Promise<HfStoreRead<HfSessionPageOf<HfSessionStats>>>;
  /** The cluster's per-minute timeline, which the timeline service writes to and reads (the Redis store only). */
  readonly sharedTimeline?: HfSharedTimeline;
  /** Calls the shared store lost that no running replica could write again (the Redis store only). */
  readonly lostCallCount?: number;
  /** New sessions the store could not keep apart (its bound was reached): counted in the global figures only. */
  readonly sessionOverflowCount: number;
  /**
   * Where budgets are leased from so that they hold for every replica (the Redis store); absent: budgets are this
   * process's own.
   */
  readonly budgetLeases?: HfBudgetLeaseSource;
  /** Forgets this process's figures and what it has buffered and cached (shared figures stay in the shared store). */
  reset(): void;
  /** Also clears what the shared store holds for every replica (`reset({ cluster: true })`); absent: nothing shared. */
  resetShared?(): Promise<void>;
  /** Writes what is buffered now and refreshes the shared view. Never rejects. */
  flush(): Promise<void>;
  /** Last flush, then releases connections the store opened itself. Never rejects. */
  close(): Promise<void>;
}

/** Injection token of the {@link HfStatsStore} in use. */
export const HfStatsStore = Symbol('nestjs-hf-stats:HfStatsStore');
