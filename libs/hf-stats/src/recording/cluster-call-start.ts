import type { SessionEntry } from '../sessions/session-entry.js';
import type { CallHold, SessionLifecycle } from '../sessions/session-lifecycle.js';
import type { HfBudgetOptions, SessionBudget } from '../stats/budget.js';
import type { HfBudgetAmounts, HfBudgetLeaseSource } from '../stats/budget-leases.js';
import { ClusterBudget, type HfClusterDecision } from '../stats/cluster-budget.js';
import { PendingCall, type HfCallSink, type HfCallStart } from '../stats/pending-call.js';

/** What the start of a call with a cluster-wide budget needs of the recorder. */
export interface ClusterCallHost extends HfCallSink {
  readonly sessions: {
    readonly lifecycle: SessionLifecycle;
    atCallStart(sessionId: string, now: number): SessionEntry | undefined;
  };
  startCall(start: HfCallStart): PendingCall;
}

/**
 * The calls of sessions whose budget holds for the whole cluster (the Redis store): their start against the lease
 * in hand or one lease call, and what their end and their drop change in it. The recorder's part of
 * {@link ClusterBudget}.
 */
export class ClusterCalls {
  readonly leases: ClusterBudget;

  constructor(
    private readonly host: ClusterCallHost,
    private readonly budget: SessionBudget,
    options: HfBudgetOptions,
    source: HfBudgetLeaseSource,
    maxSessions: number,
    reportFailure: (error: unknown) => void,
  ) {
    this.leases = new ClusterBudget(options, source, maxSessions, options.onStoreDown ?? 'allow', reportFailure);
  }

  /**
   * Starts a call of a session that can wait for a lease call (`beginCall`). A session that could not be kept is
   * decided as in one process (maxSessions).
   */
  begin(start: HfCallStart): PendingCall | Promise<PendingCall> {
    const now = Date.now();
    const entry = start.sessionId === undefined ? undefined : this.host.sessions.atCallStart(start.sessionId, now);
    return entry === undefined ? this.host.startCall(start) : this.start(start, entry, now, true);
  }

  /**
   * Starts a call: admitted at once when the lease in hand covers its share (one call, its texts, the cost it
   * reserves); otherwise, when the call site can wait, a promise of the call decided by one lease call; when it
   * can't (a sync method), decided at once (see {@link ClusterBudget.decideNow}) while a lease is fetched.
   * @throws HfBudgetExceededError (a promise rejected with it, when waited for)
   */
  start(start: HfCallStart, entry: SessionEntry, now: number, canWait: boolean): PendingCall | Promise<PendingCall> {
    const sessionId = entry.sessionId;
    const want: HfBudgetAmounts = { calls: 1, texts: start.textCount, nanoUsd: this.budget.reservation(start, now) };
    if (this.leases.tryTake(sessionId, want, now)) {
      return this.admitted(start, entry, want, undefined);
    }
    if (!canWait) {
      return this.admitted(start, entry, want, this.leases.decideNow(sessionId, want));
    }
    return this.leases.admit(sessionId, want).then((decision) => this.admitted(start, entry, want, decision));
  }

  /** A finished call: its price beyond what it reserved (tokens, compute time) is charged now. */
  settled(sessionId: string, hold: CallHold, costNanoUsd: number | undefined): void {
    this.leases.settle(sessionId, (costNanoUsd ?? 0) - hold.costNanoUsd);
  }

  /** A call dropped unrecorded (its work did not happen): its share is taken back. */
  dropped(entry: SessionEntry, hold: CallHold): void {
    this.leases.refund(entry.sessionId, { calls: 1, texts: hold.textCount, nanoUsd: hold.costNanoUsd });
  }

  /** The call in flight in its session once admitted; `decision` applied (`onExceed`) when it reached a limit. */
  private admitted(
    start: HfCallStart,
    entry: SessionEntry,
    want: HfBudgetAmounts,
    decision: HfClusterDecision,
  ): PendingCall {
    if (decision !== undefined) {
      // Throws with onExceed 'throw'; with 'warn' the call goes on and its share is counted all the same.
      this.budget.refuse(entry.sessionId, entry, decision);
      this.leases.chargeOutside(entry.sessionId, want);
    }
    return new PendingCall(this.host, start, this.host.sessions.lifecycle.hold(entry, want.texts, want.nanoUsd));
  }
}
