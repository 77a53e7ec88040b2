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
  /** This replica's clock (epoch ms) when sent: the lease expires in the shared store `ttlMs` after it. */
  now: number;
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

  /** Counts a call's share as spent, and takes it from the lease in hand when `fromLease`. */
  charge(want: HfBudgetAmounts, fromLease: boolean, now: number): void {
    this.spent.calls += want.calls;
    this.spent.texts += want.texts;
    this.spent.nanoUsd += want.nanoUsd;
    if (fromLease) {
      this.left.calls -= want.calls;
      this.left.texts -= want.texts;
      this.left.nanoUsd -= want.nanoUsd;
    }
    this.lastUsedAt = now;
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
    this.spent.calls = 0;
    this.spent.texts = 0;
    this.spent.nanoUsd = 0;
    this.left.calls = 0;
    this.left.texts = 0;
    this.left.nanoUsd = 0;
    this.validUntil = 0;
    return report;
  }

  /** A report that may not have reached the store: counted again in the next one (a budget errs on refusing). */
  restore(report: HfBudgetAmounts): void {
    this.spent.calls += report.calls;
    this.spent.texts += report.texts;
    this.spent.nanoUsd += report.nanoUsd;
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
