import type {
  HfBudgetAmounts,
  HfBudgetLeaseSource,
  HfLeaseLimits,
  HfLeaseReply,
  HfLeaseRequest,
} from '../stats/budget-leases.js';
import type { HfRedisClient } from './hf-stats-store.options.js';
import { LEASE_RESET_SCRIPT, LEASE_RESET_STEP, LEASE_SCRIPT } from './redis-lease-script.js';
import { RedisScriptRunner } from './redis-script-runner.js';

/** How long a lease lives in Redis without a lease call of its replica (a replica that died gives it back so). */
export const LEASE_TTL_MS = 30_000;

type LeaseScriptReply = [number, number, number, number, number, number, number, number];

/** ioredis statuses of a connection lost (`Redis` and `Cluster`). */
const DOWN_STATUSES = new Set(['reconnecting', 'disconnecting', 'close', 'end']);

const STATUS = ['refused', 'granted', 'full', 'returned'] as const;
const LIMITS = [undefined, 'maxCalls', 'maxTexts', 'maxCostUsd'] as const;

function amounts(calls: number, texts: number, nanoUsd: number): HfBudgetAmounts {
  return { calls, texts, nanoUsd };
}

/** A grant of -1 is a limit that is not set: nothing to count down. */
function granted(value: number): number {
  return value < 0 ? Infinity : value;
}

/** Lua integers: a finite integer as text (a NaN or a fraction would make HINCRBY fail). */
function integer(value: number): string {
  return Number.isFinite(value) ? String(Math.trunc(value)) : '0';
}

/**
 * The Redis side of cluster-wide budgets: one script call per lease taken or given back (redis-lease-script.ts),
 * on the store's connection, keys under the store's prefix (one hash slot on a Cluster).
 */
export class RedisBudgetLeases implements HfBudgetLeaseSource {
  readonly leaseTtlMs = LEASE_TTL_MS;
  leaseCallCount = 0;
  private readonly runner: RedisScriptRunner<LeaseScriptReply>;

  constructor(
    private readonly redis: HfRedisClient,
    private readonly keyPrefix: string,
    /** Which replica holds a lease: unique per process. */
    private readonly replicaId: string,
    private readonly retentionMs: number,
    private readonly maxSessions: number,
    timeoutMs: number,
  ) {
    // KEYS[1]: the session's budget hash (ARGV[1] the prefix, ARGV[2] the session id).
    this.runner = new RedisScriptRunner<LeaseScriptReply>(redis, timeoutMs, LEASE_SCRIPT, (args) =>
      [`${args[0]}budget:${args[1]}`].concat(args),
    );
  }

  /**
   * False once ioredis has lost the connection (until it is ready again): a call without a lease is then decided at
   * once. While it first connects, a lease call waits for it (at most `commandTimeoutMs`).
   */
  get reachable(): boolean {
    return !DOWN_STATUSES.has(this.redis.status);
  }

  async lease(request: HfLeaseRequest, limits: HfLeaseLimits): Promise<HfLeaseReply> {
    const { spent, want } = request;
    this.leaseCallCount += 1;
    const [reply] = await this.runner.run(() => [
      this.keyPrefix,
      request.sessionId,
      this.replicaId,
      String(LEASE_TTL_MS),
      String(Math.max(this.retentionMs, LEASE_TTL_MS)),
      String(this.maxSessions),
      integer(limits.maxCalls),
      integer(limits.maxTexts),
      integer(limits.maxNanoUsd),
      integer(spent.calls),
      integer(spent.texts),
      integer(spent.nanoUsd),
      integer(want.calls),
      integer(want.texts),
      integer(want.nanoUsd),
      request.mode,
      String(Math.max(1, Math.trunc(request.waiting))),
    ]);
    const [status, calls, texts, nanoUsd, usedCalls, usedTexts, usedNanoUsd, limit] = reply.map(Number);
    return {
      status: STATUS[status] ?? 'refused',
      grant: amounts(granted(calls), granted(texts), granted(nanoUsd)),
      used: amounts(usedCalls, usedTexts, usedNanoUsd),
      limit: LIMITS[limit],
    };
  }

  /** Stops listening to the connection's events. */
  detach(): void {
    this.runner.detach();
  }
}

/** `reset({ cluster: true })`: deletes every session's budget (and the leases in it) in bounded steps. */
export async function clearBudgetLeases(redis: HfRedisClient, prefix: string): Promise<void> {
  let left: number;
  do {
    left = Number(await redis.eval(LEASE_RESET_SCRIPT, 1, [`${prefix}budgets`, prefix, String(LEASE_RESET_STEP)]));
  } while (left > 0);
}
