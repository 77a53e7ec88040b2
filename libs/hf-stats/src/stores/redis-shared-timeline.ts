import { randomUUID } from 'node:crypto';
import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { RedisScript } from './redis-script.js';
import { splitTimelineBatch, TIMELINE_SCRIPT, type SharedTimelineBatch } from './redis-timeline-script.js';

export type { SharedTimelineBatch } from './redis-timeline-script.js';

/**
 * Minutes read per call: one, whose hash holds at most (maxModels + 2) scopes of some 20 fields (1,040 fields with
 * 50 models took 0.35 ms at best, SLOWLOG on 2 busy cores; ten in one call took 3.5 ms).
 */
const READ_MINUTES = 1;

/** The writer of a replica's timeline (the dashboard's timeline service). */
export interface SharedTimelineSource {
  /** What was recorded since the last batch taken; undefined when nothing. */
  take(): SharedTimelineBatch | undefined;
  /** The batch is in Redis now (once, whatever the retries). */
  applied(batch: SharedTimelineBatch): void;
}

/**
 * The cluster's per-minute timeline in Redis, which every replica adds to and reads (docs/redis-protocol.md). A
 * batch is written once per flush interval (its calls sent together: one round trip), and kept to be sent again,
 * with the same numbers, until Redis has applied it: the script applies each call at most once.
 */
export interface HfSharedTimeline {
  /** Writes `source`'s batches from now on, each minute key expiring `keyTtlMs` after its last write. */
  attach(source: SharedTimelineSource, keyTtlMs: number): () => void;
  /** Settles when no write is under way: a read made then never sees a batch both in Redis and still held here. */
  idle(): Promise<void>;
  /** The fields of the minutes `first .. first + count - 1` (epoch minutes). Rejects when Redis can't answer. */
  read(first: number, count: number): Promise<Array<Map<string, string>>>;
}

export class RedisSharedTimeline implements HfSharedTimeline {
  private readonly script: RedisScript;
  private readonly replicaId = randomUUID();
  private source: SharedTimelineSource | undefined;
  private keyTtlMs = 0;
  private seq = 0;
  private held: { batch: SharedTimelineBatch; calls: string[][] } | undefined;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    redis: HfRedisClient,
    settings: HfRedisStoreSettings,
    private readonly maxModels: number,
    /** Whether the connection can take a command now: reads are not made otherwise (the reader answers at once). */
    private readonly usable: () => boolean,
  ) {
    this.script = new RedisScript(redis, TIMELINE_SCRIPT, settings.keyPrefix, settings.commandTimeoutMs);
  }

  attach(source: SharedTimelineSource, keyTtlMs: number): () => void {
    this.source = source;
    this.keyTtlMs = keyTtlMs;
    return () => {
      if (this.source === source) {
        this.source = undefined;
      }
    };
  }

  /** Mounts the write timer: one batch per flush interval. */
  start(intervalMs: number): void {
    if (this.timer === undefined) {
      this.timer = setInterval(() => {
        this.flush().catch(() => undefined);
      }, intervalMs);
      this.timer.unref();
    }
  }

  /** Stops the timer and writes what is buffered (once: a failure is not waited out). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  async idle(): Promise<void> {
    while (this.writing !== undefined) {
      await this.writing;
    }
  }

  /** Writes the held batch, or else the source's next one. Never rejects: a failed batch stays held. */
  async flush(): Promise<void> {
    await this.idle();
    const writing = this.write().finally(() => {
      this.writing = undefined;
    });
    this.writing = writing;
    await writing;
  }

  async read(first: number, count: number): Promise<Array<Map<string, string>>> {
    if (!this.usable()) {
      throw new Error('Redis unreachable');
    }
    const calls: Array<Promise<unknown>> = [];
    for (let start = 0; start < count; start += READ_MINUTES) {
      const n = Math.min(READ_MINUTES, count - start);
      calls.push(this.script.run(['r', String(first + start), String(n)]));
    }
    const minutes: Array<Map<string, string>> = [];
    for (const reply of await Promise.all(calls)) {
      for (const flat of reply as string[][]) {
        const fields = new Map<string, string>();
        for (let i = 0; i + 1 < flat.length; i += 2) {
          fields.set(flat[i], flat[i + 1]);
        }
        minutes.push(fields);
      }
    }
    return minutes;
  }

  private async write(): Promise<void> {
    if (this.held === undefined) {
      const batch = this.source?.take();
      if (batch === undefined) {
        return;
      }
      this.held = { batch, calls: this.callsOf(batch) };
    }
    const held = this.held;
    try {
      await Promise.all(held.calls.map((args) => this.script.run(args)));
    } catch {
      // Held with its numbers: sent again at the next flush, applied at most once.
      return;
    }
    this.held = undefined;
    this.source?.applied(held.batch);
  }

  /** The batch cut into numbered calls (a minute may span two calls). */
  private callsOf(batch: SharedTimelineBatch): string[][] {
    return splitTimelineBatch(batch, () => [
      'w',
      this.replicaId,
      String(++this.seq),
      String(Math.max(this.keyTtlMs, 3_600_000)),
      String(this.keyTtlMs),
      String(this.maxModels),
    ]);
  }
}
