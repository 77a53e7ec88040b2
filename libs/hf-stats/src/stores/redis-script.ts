import { createHash } from 'node:crypto';
import type { HfRedisClient } from './hf-stats-store.options.js';
import { evalCached, ReadyGate, withinTimeout } from './redis-eval.js';

/**
 * One Lua script of the store other than the flush script (the cluster reads, the shared timeline), run by its
 * SHA with `EVAL` as the fallback where a node lacks it (a restarted node, or another node of a Cluster), and with a
 * timeout. KEYS[1] is always the store's global hash, so that a Cluster client routes the call to the node of the
 * prefix's slot, where every key the script builds from the prefix (ARGV[1]) lives too.
 */
export class RedisScript {
  private readonly sha: string;
  private readonly gate: ReadyGate;

  constructor(
    private readonly redis: HfRedisClient,
    private readonly source: string,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
    this.gate = new ReadyGate(redis);
  }

  /** Runs the script with ARGV `[prefix, ...args]` once connected. Rejects after the timeout (waiting included). */
  run(args: string[]): Promise<unknown> {
    const keyed = [`${this.prefix}global`, this.prefix].concat(args);
    return withinTimeout(
      this.gate.wait().then(() => evalCached(this.redis, this.sha, this.source, () => keyed)),
      this.timeoutMs,
    );
  }
}

/** Attempts of {@link readQuietly} before it answers that Redis could not be read consistently. */
const QUIET_ATTEMPTS = 3;

/**
 * Reads Redis while this replica writes nothing to it: after the write under way (`idle`), and again if one
 * started or ended meanwhile (`generation` changed). Otherwise a write applied in Redis whose answer is not yet
 * handled here would be counted twice: from Redis, and from the buffer it has not left yet. Rejects after
 * {@link QUIET_ATTEMPTS} attempts (then readers answer this replica's view).
 */
export async function readQuietly<T>(
  idle: () => Promise<void>,
  generation: () => number,
  read: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; attempt < QUIET_ATTEMPTS; attempt += 1) {
    await idle();
    const before = generation();
    const value = await read();
    if (generation() === before) {
      return value;
    }
  }
  throw new Error('Redis kept being written while read');
}
