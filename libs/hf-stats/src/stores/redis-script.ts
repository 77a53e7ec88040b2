import { createHash } from 'node:crypto';
import type { HfRedisClient } from './hf-stats-store.options.js';

/**
 * One Lua script of the store other than the flush script (the cluster reads, the shared timeline), run by its
 * SHA with `EVAL` as the fallback where a node lacks it (a restarted node, or another node of a Cluster), and with a
 * timeout. KEYS[1] is always the store's global hash, so that a Cluster client routes the call to the node of the
 * prefix's slot, where every key the script builds from the prefix (ARGV[1]) lives too.
 */
export class RedisScript {
  private readonly sha: string;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly redis: HfRedisClient,
    private readonly source: string,
    private readonly prefix: string,
    private readonly timeoutMs: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script with ARGV `[prefix, ...args]` once connected. Rejects after the timeout (waiting included). */
  async run(args: string[]): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.whenReady().then(() => this.call([`${this.prefix}global`, this.prefix].concat(args))),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Resolves when the connection is ready; one listener however many calls wait. */
  private whenReady(): Promise<void> {
    if (this.redis.status === 'ready') {
      return Promise.resolve();
    }
    this.ready ??= new Promise((resolve) => {
      this.redis.once('ready', () => {
        this.ready = undefined;
        resolve();
      });
    });
    return this.ready;
  }

  private async call(keyed: string[]): Promise<unknown> {
    try {
      return await this.redis.evalsha(this.sha, 1, keyed);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) {
        throw error;
      }
    }
    return this.redis.eval(this.source, 1, keyed);
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
