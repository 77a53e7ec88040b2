import type { HfRedisClient } from './hf-stats-store.options.js';
import { evalCached, ReadyGate, withinTimeout } from './redis-eval.js';
import { FLUSH_SCRIPT } from './redis-scripts.js';

/** Result of the flush script, as ioredis hands it over (see redis-scripts.ts). */
export type FlushReply = [
  status: number,
  epoch: string,
  /** The hash read in pieces: its id ('' the global hash), the cursor to go on from ('0' done), the fields. */
  scan: [] | [id: string, cursor: string, fields: string[]],
  activeCount: number,
  sessionsFlat: Array<string | string[]>,
  won: string[],
  lostCalls: number,
  refusedSessions: number,
  redisNow: number,
  lifecyclesFlat: Array<string | string[]>,
  unread: string[],
  resets: string,
  more: string,
];

/**
 * The script's arguments behind one declared key, the global hash (ARGV[1] is the prefix): a Cluster client routes
 * the call to that key's node, where every other key of the prefix lives too (one hash tag). The arguments stay one
 * array (ioredis flattens it), never spread: a chunk has thousands.
 */
function keyed(args: string[]): string[] {
  return [`${args[0]}global`].concat(args);
}

const DOWN_EVENTS = ['close', 'end', 'error'] as const;

/**
 * Runs one script (the flush script unless told otherwise) on one connection, with a timeout, loading the script
 * again after a Redis restart, and tells whether the connection is known to be down (from ioredis's events, without
 * waiting for a timeout). `withKeys` puts the declared key (KEYS[1], which routes the call on a Cluster) before the
 * arguments.
 */
export class RedisScriptRunner<Reply = FlushReply> {
  /** Set by ioredis's `close`, `end` and `error` events; cleared by the store once a flush succeeds. */
  connectionDown = false;
  private scriptSha: string | undefined;
  private readonly gate: ReadyGate;
  private readonly onDown = (): void => {
    this.connectionDown = true;
  };

  constructor(
    private readonly redis: HfRedisClient,
    private readonly timeoutMs: number,
    private readonly script: string = FLUSH_SCRIPT,
    private readonly withKeys: (args: string[]) => string[] = keyed,
  ) {
    this.gate = new ReadyGate(redis);
    for (const event of DOWN_EVENTS) {
      redis.on(event, this.onDown);
    }
  }

  /** Whether the connection can take a command now. */
  get usable(): boolean {
    return !this.connectionDown && this.redis.status === 'ready';
  }

  /** Removes the listeners it added (the app's own client lives on). */
  detach(): void {
    for (const event of DOWN_EVENTS) {
      this.redis.off(event, this.onDown);
    }
  }

  /**
   * One script call, its arguments made with this replica's clock at the moment it is sent (so the script's
   * clock offset holds no wait for the connection); resolves to the reply and that moment. Rejects after
   * `timeoutMs` (the call may still be applied later: chunks are numbered).
   */
  run(argsAt: (now: number) => string[]): Promise<[Reply, number]> {
    return withinTimeout(this.call(argsAt), this.timeoutMs);
  }

  private async call(argsAt: (now: number) => string[]): Promise<[Reply, number]> {
    if (this.redis.status !== 'ready') {
      await this.gate.wait();
    }
    if (this.scriptSha === undefined) {
      this.scriptSha = (await this.redis.script('LOAD', this.script)) as string;
    }
    // The arguments carry this replica's clock as each attempt is sent: after a NOSCRIPT, EVAL's carry its own
    // moment (the chunk was not applied by the EVALSHA).
    let sentAt = 0;
    const reply = await evalCached(this.redis, this.scriptSha, this.script, () =>
      this.withKeys(argsAt((sentAt = Date.now()))),
    );
    return [reply as Reply, sentAt];
  }
}
