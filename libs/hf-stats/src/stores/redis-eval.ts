import type { HfRedisClient } from './hf-stats-store.options.js';

/**
 * The commands every script of the store runs with (the flush, the leases, the cluster reads, the shared
 * timeline): a timeout, a wait for the connection, and EVALSHA with EVAL where the node lacks the script.
 */

/** `work`, or a rejection after `timeoutMs` (the command may still be applied later: callers allow for it). */
export async function withinTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves when the connection is (again) ready; one listener however many calls wait. */
export class ReadyGate {
  private waiting: Promise<void> | undefined;

  constructor(private readonly redis: HfRedisClient) {}

  wait(): Promise<void> {
    if (this.redis.status === 'ready') {
      return Promise.resolve();
    }
    this.waiting ??= new Promise((resolve) => {
      this.redis.once('ready', () => {
        this.waiting = undefined;
        resolve();
      });
    });
    return this.waiting;
  }
}

/**
 * Runs a script by its SHA with one declared key; where the node that holds the key lacks it (Redis restarted, or
 * another node of a Cluster), by EVAL, which runs it there and caches it for the next EVALSHA. `keyed` makes KEYS[1]
 * and the arguments (one array, which ioredis flattens), anew for each attempt.
 */
export async function evalCached(
  redis: HfRedisClient,
  sha: string,
  source: string,
  keyed: () => string[],
): Promise<unknown> {
  try {
    return await redis.evalsha(sha, 1, keyed());
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) {
      throw error;
    }
  }
  return redis.eval(source, 1, keyed());
}
