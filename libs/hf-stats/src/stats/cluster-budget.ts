import type { HfBudgetOptions, HfReachedLimit } from './budget.js';
import {
  NO_AMOUNTS,
  SessionLease,
  type HfBudgetAmounts,
  type HfBudgetLeaseSource,
  type HfLeaseLimits,
  type HfLeaseReply,
  reachedOf,
} from './budget-leases.js';
import { NANO_USD_PER_USD } from './pricing.js';

/** A lease not used for this long is given back (checked every as long). */
export const LEASE_IDLE_MS = 5_000;
/** Lease calls one waiting call may take part in: a safety net (each serves at least the call that made it). */
const MAX_ATTEMPTS = 10_000;

/** How a call's budget was decided: undefined: admitted (from a lease, or by `onStoreDown: 'allow'`). */
export type HfClusterDecision = HfReachedLimit | undefined;

/**
 * One replica's side of a cluster-wide budget: per session, the slice of the budget leased from the shared store
 * (docs/redis-protocol.md, "Budget leases"). A call whose share the lease in hand covers is admitted here, with no
 * I/O; otherwise one lease call (shared by every call that waits meanwhile) reports what this replica spent, gives
 * the old lease back and takes a new one. Bounded: one entry per session with a lease or a report pending, at most
 * `maxSessions`; an entry with neither is forgotten by the sweep.
 */
export class ClusterBudget {
  private readonly leases = new Map<string, SessionLease>();
  private readonly limits: HfLeaseLimits;
  /** Half the store's TTL: a lease is spent here only while the store surely still counts it. */
  private readonly validityMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    budget: HfBudgetOptions,
    private readonly source: HfBudgetLeaseSource,
    private readonly maxSessions: number,
    private readonly onStoreDown: 'allow' | 'refuse',
    private readonly reportFailure: (error: unknown) => void,
  ) {
    this.limits = {
      maxCalls: budget.maxCalls ?? -1,
      maxTexts: budget.maxTexts ?? -1,
      maxNanoUsd: budget.maxCostUsd === undefined ? -1 : Math.round(budget.maxCostUsd * NANO_USD_PER_USD),
    };
    this.validityMs = Math.floor(source.leaseTtlMs / 2);
  }

  /** Mounts the sweep that gives back leases not used for {@link LEASE_IDLE_MS}. */
  start(): void {
    this.timer ??= setInterval(() => this.sweep(Date.now()), LEASE_IDLE_MS);
    this.timer.unref();
  }

  /** Takes the call's share from the lease in hand; false when a lease call is needed. No I/O. */
  tryTake(sessionId: string, want: HfBudgetAmounts, now: number): boolean {
    const lease = this.leases.get(sessionId);
    if (lease === undefined || !lease.covers(want, now)) {
      return false;
    }
    lease.charge(want, true, now);
    return true;
  }

  /**
   * Decides a call that the lease in hand does not cover, after (at most a few) lease calls. Admitted: its share
   * is spent (from the new lease, or, admitted by `onStoreDown: 'allow'`, reported at the next lease call).
   * Never rejects.
   */
  async admit(sessionId: string, want: HfBudgetAmounts): Promise<HfClusterDecision> {
    const lease = this.entry(sessionId);
    if (lease === undefined) {
      return { limit: 'maxSessions', limitValue: this.maxSessions, usedValue: this.leases.size };
    }
    lease.waiting += 1;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
        const now = Date.now();
        if (lease.pending === undefined) {
          if (lease.covers(want, now)) {
            lease.charge(want, true, now);
            return undefined;
          }
          if (!this.source.reachable) {
            break;
          }
          lease.pending = this.call(sessionId, lease, want, 'lease');
        }
        const reply = await lease.pending;
        if (reply === undefined) {
          break;
        }
        if (reply.status === 'full') {
          return { limit: 'maxSessions', limitValue: this.maxSessions, usedValue: this.maxSessions };
        }
        if (reply.status === 'refused') {
          return reachedOf(reply, this.limits);
        }
      }
    } finally {
      lease.waiting -= 1;
    }
    return this.withoutLease(sessionId, want);
  }

  /** Counts the share of a call admitted without a lease (`onExceed: 'warn'`), reported at the next lease call. */
  chargeOutside(sessionId: string, want: HfBudgetAmounts): void {
    this.entry(sessionId)?.charge(want, false, Date.now());
  }

  /** Takes back the share of a call dropped unrecorded (its work did not happen): reported at the next lease call. */
  refund(sessionId: string, want: HfBudgetAmounts): void {
    this.leases.get(sessionId)?.refund(want);
  }

  /** A finished call's price beyond what it reserved at its start (negative: below). */
  settle(sessionId: string, debtNanoUsd: number): void {
    if (debtNanoUsd === 0) {
      return;
    }
    const lease = this.entry(sessionId);
    if (lease === undefined) {
      return;
    }
    lease.settle(debtNanoUsd);
    if (lease.validUntil > 0 && lease.left.nanoUsd < 0 && lease.pending === undefined && this.source.reachable) {
      // Spent beyond the lease: told at once (one lease call), so that the other replicas' leases count it.
      lease.pending = this.call(sessionId, lease, NO_AMOUNTS, 'return');
      lease.pending.then(undefined, (error: unknown) => this.reportFailure(error));
    }
  }

  /**
   * Decides at once a call that can't wait for a lease call (a sync method, openai's APIPromise) and that the
   * lease in hand does not cover, and fetches a lease for the next calls: refused when the last lease call found
   * the budget spent; admitted (its share reported at the next lease call) while the store is reachable; else
   * `onStoreDown`.
   */
  decideNow(sessionId: string, want: HfBudgetAmounts): HfClusterDecision {
    const lease = this.entry(sessionId);
    if (lease === undefined) {
      return { limit: 'maxSessions', limitValue: this.maxSessions, usedValue: this.leases.size };
    }
    const reachable = this.source.reachable;
    if (lease.pending === undefined && reachable) {
      lease.pending = this.call(sessionId, lease, NO_AMOUNTS, 'lease');
    }
    if (lease.refusedWith !== undefined) {
      return lease.refusedWith;
    }
    if (reachable) {
      lease.charge(want, false, Date.now());
      return undefined;
    }
    return this.withoutLease(sessionId, want);
  }

  /** Gives back the session's lease and reports what it spent (its end on this replica). Never rejects. */
  async giveBack(sessionId: string): Promise<void> {
    const lease = this.leases.get(sessionId);
    if (lease === undefined) {
      return;
    }
    await lease.pending;
    if (!lease.idle && lease.pending === undefined) {
      lease.pending = this.call(sessionId, lease, NO_AMOUNTS, 'return');
      await lease.pending;
    }
    if (lease.idle) {
      this.leases.delete(sessionId);
    }
  }

  /** Gives back every lease (shutdown, `reset()`); resolves once each call has its answer or failed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.leases.keys()].map((sessionId) => this.giveBack(sessionId)));
  }

  /** Resolves once no lease call of this replica runs (those in the background included). */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [...this.leases.values()].flatMap((lease) =>
        lease.pending === undefined ? [] : [lease.pending],
      );
      if (pending.length === 0) {
        return;
      }
      await Promise.all(pending);
    }
  }

  /** Gives back every lease in the background, then forgets them (`reset()`); the sweep goes on. */
  reset(): void {
    const leases = [...this.leases];
    this.leases.clear();
    for (const [sessionId, lease] of leases) {
      if (!lease.idle && lease.pending === undefined) {
        this.call(sessionId, lease, NO_AMOUNTS, 'return').then(undefined, (error: unknown) =>
          this.reportFailure(error),
        );
      }
    }
  }

  private entry(sessionId: string): SessionLease | undefined {
    let lease = this.leases.get(sessionId);
    if (lease === undefined && this.leases.size < this.maxSessions) {
      lease = new SessionLease();
      this.leases.set(sessionId, lease);
    }
    return lease;
  }

  /** One lease call; resolves to undefined when the store could not be reached. Never rejects. */
  private async call(
    sessionId: string,
    lease: SessionLease,
    want: HfBudgetAmounts,
    mode: 'lease' | 'return',
  ): Promise<HfLeaseReply | undefined> {
    const now = Date.now();
    const report = lease.takeReport();
    try {
      const waiting = lease.waiting;
      const reply = await this.source.lease({ sessionId, spent: report, want, mode, waiting }, this.limits);
      lease.refusedWith = reply.status === 'refused' ? reachedOf(reply, this.limits) : undefined;
      if (reply.status === 'granted') {
        lease.take(reply.grant, now + this.validityMs, now);
      }
      return reply;
    } catch {
      lease.restore(report);
      return undefined;
    } finally {
      lease.pending = undefined;
    }
  }

  /** `onStoreDown` decides a call while the store can't be reached; admitted, its share is reported later. */
  private withoutLease(sessionId: string, want: HfBudgetAmounts): HfClusterDecision {
    if (this.onStoreDown === 'refuse') {
      return { limit: 'storeDown', limitValue: 0, usedValue: 0 };
    }
    this.chargeOutside(sessionId, want);
    return undefined;
  }

  /** Gives back the leases not used for {@link LEASE_IDLE_MS} or past their validity, and reports what waits. */
  private sweep(now: number): void {
    for (const [sessionId, lease] of this.leases) {
      if (lease.idle) {
        this.leases.delete(sessionId);
      } else if (
        lease.pending === undefined &&
        this.source.reachable &&
        (lease.validUntil <= now || lease.lastUsedAt <= now - LEASE_IDLE_MS)
      ) {
        lease.pending = this.call(sessionId, lease, NO_AMOUNTS, 'return');
        lease.pending.then(undefined, (error: unknown) => this.reportFailure(error));
      }
    }
  }
}
