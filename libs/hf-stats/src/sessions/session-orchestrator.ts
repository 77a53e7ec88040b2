import type { Logger } from '@nestjs/common';
import { callsOutlivedShutdown, SESSION_OVERFLOW_WARNING } from '../hf-stats.messages.js';
import type { HfSessionEndReason, HfSessionStats } from '../stats/hf-stats.interfaces.js';
import type { HfStatsStore } from '../stores/hf-stats-store.js';
import type { SessionEntry } from './session-entry.js';
import { SessionLifecycle, type CallHold } from './session-lifecycle.js';
import type { SessionRegistry } from './session-registry.js';

/** Longest the idle sweep waits between two looks at the active sessions. */
const MAX_SWEEP_INTERVAL_MS = 1_000;

/** The options the session lifecycle reads. */
export interface SessionTimings {
  sessionIdleTimeoutMs: number;
  sessionEndTimeoutMs: number;
  shutdownTimeoutMs: number;
}

/** Where the orchestrator's session ends go, and how it checks an id from elsewhere. */
export interface SessionEndTarget {
  /** Tells the readers of one end (once per end; with a shared store, on one replica of the cluster). */
  notifySessionEnd(session: HfSessionStats, reason: HfSessionEndReason): void;
  /** False when no reader listens: the end's figures are then not built. */
  readonly hearsSessionEnds: boolean;
  reportFailure(error: unknown): void;
  isAllowedSessionId(value: unknown): value is string;
  /** A session ended on this process (what it held of a cluster-wide budget goes back). */
  sessionEnded?(sessionId: string): void;
}

/**
 * Starts and ends the sessions of the store's registry: opens them (one overflow warning at `maxSessions`),
 * mounts the idle sweep at bootstrap, ends sessions once (waiting for their calls in flight, see
 * {@link SessionLifecycle}), and ends every active one at shutdown.
 */
export class SessionOrchestrator {
  /** The calls in flight, and the session ends and the shutdown that wait for them. */
  readonly lifecycle: SessionLifecycle;
  private overflowWarned = false;
  /** Set once shutdown has ended the sessions: late calls then count in them without reopening them. */
  private shuttingDown = false;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: HfStatsStore,
    private readonly timings: SessionTimings,
    private readonly target: SessionEndTarget,
    private readonly logger: Logger,
  ) {
    this.lifecycle = new SessionLifecycle(
      store.local.sessions,
      timings.sessionEndTimeoutMs,
      (sessionId, reason, now) => this.finish(sessionId, reason, now),
      (error) => target.reportFailure(error),
    );
  }

  private get sessions(): SessionRegistry {
    return this.store.local.sessions;
  }

  /** Mounts the idle sweep (when `sessionIdleTimeoutMs` is on). */
  start(): void {
    const idleMs = this.timings.sessionIdleTimeoutMs;
    if (idleMs > 0 && this.sweepTimer === undefined) {
      this.sweepTimer = setInterval(() => this.endIdleSessions(), Math.min(idleMs, MAX_SWEEP_INTERVAL_MS));
      this.sweepTimer.unref();
    }
  }

  stop(): void {
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /**
   * Waits for the tracked calls in flight (at most `shutdownTimeoutMs`), then ends every active session (reason
   * `shutdown`, or the reason of an end that waited for them).
   */
  async shutdown(): Promise<void> {
    this.stop();
    // First the calls in flight, so that the end lines and the last flush count them.
    const stillRunning = await this.lifecycle.drain(this.timings.shutdownTimeoutMs);
    if (stillRunning > 0) {
      this.logger.warn(callsOutlivedShutdown(stillRunning, this.timings.shutdownTimeoutMs));
    }
    this.shuttingDown = true;
    const now = Date.now();
    for (const sessionId of this.sessions.activeSessionIds()) {
      this.finish(sessionId, this.lifecycle.takePendingReason(sessionId) ?? 'shutdown', now);
    }
  }

  /** The active session for this id, used now (started or reopened); warns once when none could be kept. */
  open(sessionId: string, now: number): SessionEntry | undefined {
    const entry = this.sessions.touch(sessionId, now);
    if (entry === undefined && !this.overflowWarned) {
      this.overflowWarned = true;
      this.logger.warn(SESSION_OVERFLOW_WARNING);
    }
    return entry;
  }

  /** The session a starting call counts in: opened now, except during shutdown (no session reopens then). */
  atCallStart(sessionId: string, now: number): SessionEntry | undefined {
    return this.shuttingDown ? this.sessions.get(sessionId) : this.open(sessionId, now);
  }

  /**
   * Opens the session of a finished call before it is folded, unless the call outlived its session's end (or
   * shutdown's): then it counts in its figures without reopening it; one whose session could not be kept at
   * its start is counted once in sessionOverflowCount. Returns the retained session the call's figures go to
   * (`registry.get(sessionId)`), found without a lookup while the entry the call started in is still retained.
   */
  atCallEnd(sessionId: string, endedAt: number, hold: CallHold | undefined): SessionEntry | undefined {
    const held = hold?.entry;
    if (hold !== undefined && held !== undefined && !held.detached) {
      // Still the registry's entry for this id: reopening it would only mark it used now.
      if (!this.shuttingDown && this.lifecycle.reopens(hold) && endedAt > held.lastActivityAt) {
        held.lastActivityAt = endedAt;
      }
      return held;
    }
    if (!this.shuttingDown && (hold === undefined || this.lifecycle.reopens(hold))) {
      this.open(sessionId, endedAt);
    }
    return this.sessions.get(sessionId);
  }

  /** Ends an active session once and tells the readers; false when it was not active. */
  finish(sessionId: string, reason: HfSessionEndReason, now: number): boolean {
    const deferred = this.lifecycle.deferEnd(sessionId, reason, now);
    if (deferred !== undefined) {
      return deferred;
    }
    const { store } = this;
    const entry = this.sessions.end(sessionId, now);
    if (entry === undefined) {
      // Served by other replicas only: a shared store still ends it for the cluster (if it is open there).
      if (reason !== 'ended' || !store.sharedSessions || !this.target.isAllowedSessionId(sessionId)) {
        return false;
      }
      const wasActive = store.sessionStats(sessionId)?.active === true;
      store.endSession(sessionId, reason, now);
      return wasActive;
    }
    this.target.sessionEnded?.(sessionId);
    if (store.sharedSessions) {
      // The shared store decides the end once per cluster and tells one replica's readers.
      store.endSession(sessionId, reason, now);
      return true;
    }
    if (this.target.hearsSessionEnds) {
      this.target.notifySessionEnd(entry.toJSON(), reason);
    }
    return true;
  }

  /** Forgets the ends that wait and the overflow warning (after `reset()`). */
  reset(): void {
    this.lifecycle.clear();
    this.overflowWarned = false;
  }

  private endIdleSessions(): void {
    const now = Date.now();
    for (const sessionId of this.sessions.idleSessionIds(now - this.timings.sessionIdleTimeoutMs)) {
      this.finish(sessionId, 'idle', now);
    }
  }
}
