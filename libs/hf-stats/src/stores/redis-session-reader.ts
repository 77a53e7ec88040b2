import type { HfRedisClient, HfRedisStoreSettings } from './hf-stats-store.options.js';
import { RedisScript } from './redis-script.js';

/**
 * Index entries read per script call: a `ZREVRANGE ... WITHSCORES` and one `ZSCORE` each. 1,000 took 1.6 ms at best
 * (SLOWLOG, 2 busy cores); 250 keep a call near 0.5 ms.
 */
export const INDEX_SLICE = 250;

/**
 * The reads of the cluster's sessions (docs/redis-protocol.md, "Reading the cluster's sessions"). ARGV: prefix, mode.
 * - `i` start count: a slice of the index, most recently active first: `{ redisNowMs, ZCARD sessions,
 *   { id, lastActivityAt, ... }, { 1 if active else 0, ... } }`;
 * - `h` sessionId: `{ redisNowMs, HGETALL of the session's hash }`.
 * Each call reads a bounded amount: `count` index entries, or one session hash (bounded by the flush script).
 */
const SESSION_READ_SCRIPT = `
local prefix = ARGV[1]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if ARGV[2] == 'h' then
  return { now, redis.call('HGETALL', prefix .. 'session:' .. ARGV[3]) }
end
local start = tonumber(ARGV[3])
local entries = redis.call('ZREVRANGE', prefix .. 'sessions', start, start + tonumber(ARGV[4]) - 1, 'WITHSCORES')
local activeKey = prefix .. 'active'
local flags = {}
for i = 1, #entries, 2 do
  flags[#flags + 1] = redis.call('ZSCORE', activeKey, entries[i]) and 1 or 0
end
return { now, redis.call('ZCARD', prefix .. 'sessions'), entries, flags }
`;

/** Where a session sits in the listing, as Redis holds it: this replica's clock. */
export interface IndexEntry {
  active: boolean;
  lastActivityAt: number;
}

/**
 * Reads the cluster's sessions from Redis on demand, for the routes and the dashboard: the index (ids, last
 * activity, active or not) in slices of {@link INDEX_SLICE}, and one session's hash. Times are moved to this
 * replica's clock by an offset that moves only when a read shows it outside that read's uncertainty (half its round
 * trip), and then only to the edge of it: replicas whose clocks agree keep 0 and show Redis's times as they are, so
 * that every replica answers the same pages, and a cursor made on one is valid on another. With clocks apart, the
 * offset settles within a few reads, moving by a few milliseconds.
 */
export class RedisSessionReader {
  /** Redis's clock minus this replica's, in whole milliseconds. */
  clockOffset = 0;
  private readonly script: RedisScript;

  constructor(
    redis: HfRedisClient,
    private readonly settings: HfRedisStoreSettings,
    /** Most index entries read: Redis keeps at most `maxSessions` sessions. */
    private readonly maxSessions: number,
  ) {
    this.script = new RedisScript(redis, SESSION_READ_SCRIPT, settings.keyPrefix, settings.commandTimeoutMs);
  }

  /**
   * Every retained session (at most `maxSessions`, the most recently active), in one round trip when Redis holds at
   * most {@link INDEX_SLICE}, else two (the first slice tells how many more to read, all at once). Entries older
   * than `sessionRetentionMs` (deleted at the next sweep) are left out. Slices run apart: a session written between
   * two may show as of before or after, or (moved between slices) be missed by this read.
   */
  async index(): Promise<Map<string, IndexEntry>> {
    const first = await this.timed(['i', '0', String(INDEX_SLICE)]);
    const [redisNow, count] = first as [number, number];
    const replies = [first];
    const slices = Math.ceil(Math.min(count, this.maxSessions) / INDEX_SLICE);
    replies.push(
      ...(await Promise.all(
        Array.from({ length: Math.max(0, slices - 1) }, (_, i) =>
          this.script.run(['i', String((i + 1) * INDEX_SLICE), String(INDEX_SLICE)]),
        ),
      )),
    );
    const oldest = redisNow - this.settings.sessionRetentionMs;
    const index = new Map<string, IndexEntry>();
    for (const reply of replies) {
      const [, , entries, flags] = reply as [number, number, string[], number[]];
      for (let i = 0; i + 1 < entries.length && index.size < this.maxSessions; i += 2) {
        const at = Number(entries[i + 1]);
        if (at > oldest && !index.has(entries[i])) {
          index.set(entries[i], { active: flags[i / 2] === 1, lastActivityAt: at - this.clockOffset });
        }
      }
    }
    return index;
  }

  /** The fields of one session's hash as Redis holds them now (empty when it holds no such session). */
  async hash(sessionId: string): Promise<Map<string, string>> {
    const [, flat] = (await this.timed(['h', sessionId])) as [number, string[]];
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < flat.length; i += 2) {
      fields.set(flat[i], flat[i + 1]);
    }
    return fields;
  }

  /** One script call whose reply starts with Redis's clock: measures the offset on the way. */
  private async timed(args: string[]): Promise<unknown> {
    const sentAt = Date.now();
    const reply = await this.script.run(args);
    const receivedAt = Date.now();
    // Redis's clock was read between the two: the offset lies within half the round trip of the estimate (plus a
    // millisecond for the whole-millisecond clocks). Moved only as far as that interval asks.
    const estimate = (reply as [number])[0] - (sentAt + receivedAt) / 2;
    const uncertainty = (receivedAt - sentAt) / 2 + 1;
    if (this.clockOffset < estimate - uncertainty) {
      this.clockOffset = Math.ceil(estimate - uncertainty);
    } else if (this.clockOffset > estimate + uncertainty) {
      this.clockOffset = Math.floor(estimate + uncertainty);
    }
    return reply;
  }
}
