/*
 * The shared timeline's Lua script, and how a batch is cut into its calls (`redis-shared-timeline.ts` runs them).
 */

/** Arguments of one write call at most (about 1 µs each in Redis): a call stays well under 2 ms. */
export const MAX_WRITE_ARGS = 1_500;

/**
 * The shared timeline's script (docs/redis-protocol.md, "The cluster's timeline"). ARGV: prefix, mode.
 * - `w` replicaId seq markerTtlMs keyTtlMs maxModels, then per minute: `minute count` and `count` triples
 *   `op field value` (`i` HINCRBY, `>` keep the maximum). Applied at most once per (replica, seq): the last seq
 *   applied is kept, as for the flush's chunks. Each minute is the hash `<prefix>tl:<minute>`, expiring `keyTtlMs`
 *   after its last write; at most `maxModels` model names each (`#m` counts them), the rest under `m:other`.
 *   `<prefix>tl:minutes` lists the minutes written (for `reset({ cluster: true })`), trimmed to the window.
 * - `l` first last: the minutes written from `first` to `last` (epoch minutes) and their sizes, `{ minute, fields, ... }`;
 * - `r` minute...: the fields of each minute.
 */
export const TIMELINE_SCRIPT = `
local prefix = ARGV[1]
if ARGV[2] == 'l' then
  local out = {}
  for _, minute in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'tl:minutes', ARGV[3], ARGV[4])) do
    out[#out + 1] = minute
    out[#out + 1] = redis.call('HLEN', prefix .. 'tl:' .. minute)
  end
  return out
end
if ARGV[2] == 'r' then
  local out = {}
  for i = 3, #ARGV do
    out[#out + 1] = redis.call('HGETALL', prefix .. 'tl:' .. ARGV[i])
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
