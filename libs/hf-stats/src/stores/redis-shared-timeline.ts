import { randomUUID } from 'node:crypto';
import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { RedisScript } from './redis-script.js';

/** Arguments of one write call at most (about 1 µs each in Redis): a call stays well under 2 ms. */
const MAX_WRITE_ARGS = 1_500;
/** Minutes read per call: at most (maxModels + 2) scopes of a few fields each per minute. */
const READ_MINUTES = 10;

/**
 * The shared timeline's script (docs/redis-protocol.md, "The cluster's timeline"). ARGV: prefix, mode.
 * - `w` replicaId seq markerTtlMs keyTtlMs maxModels, then per minute: `minute count` and `count` triples
 *   `op field value` (`i` HINCRBY, `>` keep the maximum). Applied at most once per (replica, seq): the last seq
 *   applied is kept, as for the flush's chunks. Each minute is the hash `<prefix>tl:<minute>`, expiring `keyTtlMs`
 *   after its last write; at most `maxModels` model names each (`#m` counts them), the rest under `m:other`.
 *   `<prefix>tl:minutes` lists the minutes written (for `reset({ cluster: true })`), trimmed to the window.
 * - `r` first count: the fields of the minutes `first .. first + count - 1`.
 */
const TIMELINE_SCRIPT = `
local prefix = ARGV[1]
if ARGV[2] == 'r' then
  local out = {}
  local first = tonumber(ARGV[3])
  for minute = first, first + tonumber(ARGV[4]) - 1 do
    out[#out + 1] = redis.call('HGETALL', prefix .. 'tl:' .. minute)
  end
  return out
end
local marker = prefix .. 'tlseq:' .. ARGV[3]
local seq = tonumber(ARGV[4])
local last = tonumber(redis.call('GET', marker))
if last ~= nil and seq <= last then
  return 0
end
redis.call('SET', marker, seq, 'PX', tonumber(ARGV[5]))
local keyTtl = tonumber(ARGV[6])
local maxModels = tonumber(ARGV[7])
local indexKey = prefix .. 'tl:minutes'
local i = 8
while i <= #ARGV do
  local minute = ARGV[i]
  local n = tonumber(ARGV[i + 1])
  i = i + 2
  local key = prefix .. 'tl:' .. minute
  local admitted = {}
  for _ = 1, n do
    local op, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
    i = i + 3
    local bar = string.find(field, '|', 1, true)
    local scope = string.sub(field, 1, bar - 1)
    if scope ~= 't' then
      local stored = admitted[scope]
      if stored == nil then
        stored = scope
        if scope ~= 'm:other' and redis.call('HEXISTS', key, scope .. '|callCount') == 0 then
          if (tonumber(redis.call('HGET', key, '#m')) or 0) < maxModels then
            redis.call('HINCRBY', key, '#m', 1)
          else
            stored = 'm:other'
          end
        end
        admitted[scope] = stored
      end
      field = stored .. string.sub(field, bar)
    end
    if op == 'i' then
      redis.call('HINCRBY', key, field, value)
    else
      local current = tonumber(redis.call('HGET', key, field))
      if current == nil or tonumber(value) > current then
        redis.call('HSET', key, field, value)
      end
    end
  end
  redis.call('PEXPIRE', key, keyTtl)
  redis.call('ZADD', indexKey, tonumber(minute), minute)
end
local time = redis.call('TIME')
local nowMinute = math.floor(tonumber(time[1]) / 60)
redis.call('ZREMRANGEBYSCORE', indexKey, '-inf', '(' .. (nowMinute - math.ceil(keyTtl / 60000) - 1))
redis.call('PEXPIRE', indexKey, keyTtl)
return 1
`;

/** What a replica's timeline writes at one flush: the hash updates of each minute recorded since the last. */
export interface SharedTimelineBatch {
  readonly ops: ReadonlyArray<[minute: number, ops: string[]]>;
}

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

  constructor(
    redis: HfRedisClient,
    settings: HfRedisStoreSettings,
    private readonly maxModels: number,
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

/**
 * A batch as the arguments of script calls of at most {@link MAX_WRITE_ARGS} each (`head()` makes each call's
 * first ones): per minute `minute count` then `count` triples; a minute that does not fit goes on in the next call.
 */
export function splitTimelineBatch(batch: SharedTimelineBatch, head: () => string[]): string[][] {
  const calls: string[][] = [];
  let args = head();
  const headLength = args.length;
  for (const [minute, ops] of batch.ops) {
    for (let start = 0; start < ops.length;) {
      if (MAX_WRITE_ARGS - args.length < 5) {
        calls.push(args);
        args = head();
      }
      const room = Math.floor((MAX_WRITE_ARGS - args.length - 2) / 3) * 3;
      const part = ops.slice(start, start + room);
      args.push(String(minute), String(part.length / 3));
      for (const arg of part) {
        args.push(arg);
      }
      start += part.length;
    }
  }
  if (args.length > headLength) {
    calls.push(args);
  }
  return calls;
}
