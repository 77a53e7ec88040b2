import { randomUUID } from 'node:crypto';
import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { readQuietly, RedisScript } from './redis-script.js';
import { splitTimelineBatch, TIMELINE_SCRIPT, type SharedTimelineBatch } from './redis-timeline-script.js';

export type { SharedTimelineBatch } from './redis-timeline-script.js';

/** Minutes listed per call (`ZRANGEBYSCORE` of the index and one `HLEN` each). */
const LIST_MINUTES = 1_000;
/**
 * Fields read per call at most, but a minute is never split: one minute of 50 models has some 1,040 fields, which
 * took 0.35 ms at best (SLOWLOG on 2 busy cores); ten of them in one call took 3.5 ms.
 */
const READ_FIELDS = 2_000;

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
  /**
   * The fields of the minutes `first .. first + count - 1` (epoch minutes), read while this replica writes none
   * (so that a batch is never both in Redis and still held here when the read is handled). Rejects when Redis
   * can't answer.
   */
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
  /** Changes when a write starts and when it ends. */
  private generation = 0;

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
      this.generation += 1;
    });
    this.writing = writing;
    this.generation += 1;
    await writing;
  }

  async read(first: number, count: number): Promise<Array<Map<string, string>>> {
    if (!this.usable()) {
      throw new Error('Redis unreachable');
    }
    return readQuietly(
      () => this.idle(),
      () => this.generation,
      () => this.readMinutes(first, count),
    );
  }

  private async readMinutes(first: number, count: number): Promise<Array<Map<string, string>>> {
    // Which minutes Redis holds, and their sizes; then those minutes, grouped into calls of bounded size.
    const lists: Array<Promise<unknown>> = [];
    for (let start = first; start < first + count; start += LIST_MINUTES) {
      const last = Math.min(start + LIST_MINUTES, first + count) - 1;
      lists.push(this.script.run(['l', String(start), String(last)]));
    }
    const groups: string[][] = [];
    let group: string[] = [];
    let fields = 0;
    for (const listed of (await Promise.all(lists)) as Array<Array<string | number>>) {
      for (let i = 0; i + 1 < listed.length; i += 2) {
        const size = Number(listed[i + 1]);
        if (group.length > 0 && fields + size > READ_FIELDS) {
          groups.push(group);
          group = [];
          fields = 0;
        }
        group.push(String(listed[i]));
        fields += size;
      }
    }
    if (group.length > 0) {
      groups.push(group);
    }
    const replies = await Promise.all(groups.map((minutes) => this.script.run(['r', ...minutes])));
    const minutes = Array.from({ length: count }, () => new Map<string, string>());
    groups.forEach((names, g) => {
      names.forEach((name, i) => {
        const flat = (replies[g] as string[][])[i];
        const held = minutes[Number(name) - first];
        if (held === undefined) {
          return;
        }
        for (let f = 0; f + 1 < flat.length; f += 2) {
          held.set(flat[f], flat[f + 1]);
        }
      });
    });
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
