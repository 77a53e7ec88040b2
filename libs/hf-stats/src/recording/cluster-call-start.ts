import type { SessionEntry } from '../sessions/session-entry.js';
import type { SessionLifecycle } from '../sessions/session-lifecycle.js';
import type { SessionBudget } from '../stats/budget.js';
import type { HfBudgetAmounts } from '../stats/budget-leases.js';
import type { ClusterBudget, HfClusterDecision } from '../stats/cluster-budget.js';
import { PendingCall, type HfCallSink, type HfCallStart } from '../stats/pending-call.js';

/** What the start of a call with a cluster-wide budget needs of the recorder. */
export interface ClusterCallHost extends HfCallSink {
  readonly sessions: { readonly lifecycle: SessionLifecycle };
}

/** The call, in flight in its session, once admitted; `decision` applied (`onExceed`) when it reached a limit. */
function admitted(
  host: ClusterCallHost,
  cluster: ClusterBudget,
  budget: SessionBudget,
  start: HfCallStart,
  entry: SessionEntry,
  want: HfBudgetAmounts,
  decision: HfClusterDecision,
): PendingCall {
  const sessionId = entry.sessionId;
  if (decision !== undefined) {
    // Throws with onExceed 'throw'; with 'warn' the call goes on and its share is counted all the same.
    budget.refuse(sessionId, entry, decision);
    cluster.chargeOutside(sessionId, want);
  }
  return new PendingCall(host, start, host.sessions.lifecycle.hold(entry, want.texts, want.nanoUsd));
}

/**
 * Starts a call of a session whose budget holds for the whole cluster: admitted at once when the lease in hand
 * covers its share (calls 1, its texts, the cost it reserves); otherwise, when the call site can wait, a promise of
 * the call decided by one lease call, and when it can't (a sync method), decided by `onStoreDown` while a lease is
 * fetched for the next calls.
 * @throws HfBudgetExceededError (a promise rejected with it, when waited for)
 */
export function clusterCallStart(
  host: ClusterCallHost,
  cluster: ClusterBudget,
  budget: SessionBudget,
  start: HfCallStart,
  entry: SessionEntry,
  now: number,
  canWait: boolean,
): PendingCall | Promise<PendingCall> {
  const sessionId = entry.sessionId;
  const want: HfBudgetAmounts = { calls: 1, texts: start.textCount, nanoUsd: budget.reservation(start, now) };
  if (cluster.tryTake(sessionId, want, now)) {
    return new PendingCall(host, start, host.sessions.lifecycle.hold(entry, want.texts, want.nanoUsd));
  }
  if (!canWait) {
    cluster.prefetch(sessionId);
    return admitted(host, cluster, budget, start, entry, want, cluster.withoutLease(sessionId, want));
  }
  return cluster
    .admit(sessionId, want)
    .then((decision) => admitted(host, cluster, budget, start, entry, want, decision));
}
