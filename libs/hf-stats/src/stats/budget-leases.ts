import type { HfReachedLimit } from './budget.js';
import { NANO_USD_PER_USD } from './pricing.js';

/** Calls, texts and nano-dollars: what a lease grants, a call takes, a replica reports spent. */
export interface HfBudgetAmounts {
  calls: number;
  texts: number;
  nanoUsd: number;
}

/** The limits of the `budget` option in the units of the lease protocol; -1: no such limit. */
export interface HfLeaseLimits {
  maxCalls: number;
  maxTexts: number;
  maxNanoUsd: number;
}

/** One lease call: what this replica spent since its last one, the call waiting (if any), and why it is made. */
export interface HfLeaseRequest {
  sessionId: string;
  spent: HfBudgetAmounts;
  want: HfBudgetAmounts;
  /** `'lease'`: give back the lease in hand and take a new one; `'return'`: only give it back (and report). */
  mode: 'lease' | 'return';
  /** Calls of the session waiting for this lease call on this replica (the one that asks included): a slice for all. */
  waiting: number;
}

/** The shared store's answer. */
export interface HfLeaseReply {
  /** `'full'`: no room for one more session's budget (`maxSessions` budgets retained). */
  status: 'granted' | 'refused' | 'full' | 'returned';
  /** What the new lease holds; `Infinity` for a limit that is not set. */
  grant: HfBudgetAmounts;
  /** Spent plus the other replicas' leases, before this grant (for the refusal's message). */
  used: HfBudgetAmounts;
  /** The limit with nothing left, when refused. */
  limit: 'maxCalls' | 'maxTexts' | 'maxCostUsd' | undefined;
}

/**
 * Where a replica leases slices of its sessions' budgets from (the Redis store). `lease` rejects when the store
 * cannot be reached or does not answer in time; it is never called with the memory store.
 */
export interface HfBudgetLeaseSource {
  /** How long a lease lives in the shared store without a lease call of its replica. */
  readonly leaseTtlMs: number;
  /** Whether the store can take a command now (false: a budgeted call without a lease is decided at once). */
  readonly reachable: boolean;
  /** Lease calls made (round trips), for tests and the benchmark. */
  readonly leaseCallCount: number;
  lease(request: HfLeaseRequest, limits: HfLeaseLimits): Promise<HfLeaseReply>;
}

/** The limit a refused lease call names, in the units of the budget option (for the refusal). */
export function reachedOf(reply: HfLeaseReply, limits: HfLeaseLimits): HfReachedLimit {
  const { used } = reply;
  switch (reply.limit) {
    case 'maxTexts':
      return { limit: 'maxTexts', limitValue: limits.maxTexts, usedValue: used.texts };
    case 'maxCostUsd':
      return {
        limit: 'maxCostUsd',
        limitValue: limits.maxNanoUsd / NANO_USD_PER_USD,
        usedValue: used.nanoUsd / NANO_USD_PER_USD,
      };
    default:
      return { limit: 'maxCalls', limitValue: limits.maxCalls, usedValue: used.calls };
  }
}

function add(to: HfBudgetAmounts, amounts: HfBudgetAmounts, sign: 1 | -1): void {
  to.calls += sign * amounts.calls;
  to.texts += sign * amounts.texts;
  to.nanoUsd += sign * amounts.nanoUsd;
}

export const NO_AMOUNTS: Readonly<HfBudgetAmounts> = Object.freeze({ calls: 0, texts: 0, nanoUsd: 0 });

/** One session's budget on this replica: the lease in hand and what was spent since the last lease call. */
export class SessionLease {
  /** What is left of the lease in hand (`nanoUsd` goes below 0 when calls cost more than they reserved). */
  readonly left: HfBudgetAmounts = { calls: 0, texts: 0, nanoUsd: 0 };
  /** Spent since the last lease call (calls and texts at their start, cost at start and the rest at end). */
  readonly spent: HfBudgetAmounts = { calls: 0, texts: 0, nanoUsd: 0 };
  /** This replica's clock after which the lease in hand is no longer spent; 0: none in hand. */
  validUntil = 0;
  /** The lease call in flight: while it runs nothing is taken from a lease (the old one is being given back). */
  pending: Promise<HfLeaseReply | undefined> | undefined = undefined;
  lastUsedAt = 0;
  /** Calls waiting for a lease call. */
  waiting = 0;
  /** Shares of calls admitted without a lease while the lease call runs: taken from the lease it brings. */
  readonly unleased: HfBudgetAmounts = { calls: 0, texts: 0, nanoUsd: 0 };
  /** The limit the last lease call found reached (cleared by a grant): a call that can't wait is refused by it. */
  refusedWith: HfReachedLimit | undefined = undefined;

  /** Whether the lease in hand covers `want` now: each limit with something left, enough for the call's share. */
  covers(want: HfBudgetAmounts, now: number): boolean {
    const { left } = this;
    return (
      this.pending === undefined &&
      now < this.validUntil &&
      left.calls >= 1 &&
      left.texts > 0 &&
      left.texts >= want.texts &&
      left.nanoUsd > 0 &&
      left.nanoUsd >= want.nanoUsd
    );
  }

  /**
   * Counts a call's share as spent, and takes it from the lease in hand (`fromLease`), or, admitted without one
   * while a lease call runs, from the lease that call brings.
   */
  charge(want: HfBudgetAmounts, fromLease: boolean, now: number): void {
    add(this.spent, want, 1);
    if (fromLease) {
      add(this.left, want, -1);
    } else if (this.pending !== undefined) {
      add(this.unleased, want, 1);
    }
    this.lastUsedAt = now;
  }

  /** Takes back the share of a call that did not happen: reported at the next lease call. */
  refund(want: HfBudgetAmounts): void {
    add(this.spent, want, -1);
  }

  /** A call's price beyond (or below) what it reserved: spent, and taken from the lease in hand. */
  settle(debtNanoUsd: number): void {
    this.spent.nanoUsd += debtNanoUsd;
    if (this.validUntil > 0) {
      this.left.nanoUsd -= debtNanoUsd;
    }
  }

  /** Drops the lease in hand (the lease call that reports takes it back in the store) and returns the report. */
  takeReport(): HfBudgetAmounts {
    const report = { ...this.spent };
    for (const amounts of [this.spent, this.left, this.unleased]) {
      Object.assign(amounts, NO_AMOUNTS);
    }
    this.validUntil = 0;
    return report;
  }

  /** Takes the new lease: what it grants, less what calls admitted without a lease meanwhile took. */
  take(grant: HfBudgetAmounts, validUntil: number, now: number): void {
    this.left.calls = grant.calls - this.unleased.calls;
    this.left.texts = grant.texts - this.unleased.texts;
    this.left.nanoUsd = grant.nanoUsd - this.unleased.nanoUsd;
    this.validUntil = validUntil;
    this.lastUsedAt = now;
  }

  /** A report that may not have reached the store: counted again in the next one (a budget errs on refusing). */
  restore(report: HfBudgetAmounts): void {
    add(this.spent, report, 1);
  }

  /** Whether nothing is held nor owed: the entry can be forgotten. */
  get idle(): boolean {
    const { spent } = this;
    return (
      this.pending === undefined &&
      this.waiting === 0 &&
      this.validUntil === 0 &&
      spent.calls === 0 &&
      spent.texts === 0 &&
      spent.nanoUsd === 0
    );
  }
}
