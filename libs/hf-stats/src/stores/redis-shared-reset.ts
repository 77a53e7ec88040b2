import type { HfRedisClient } from './hf-stats-store.options.js';

/** Sessions deleted per script call: each call stays short, so that other clients of Redis barely wait. */
export const RESET_STEP_SESSIONS = 100;

/**
 * One step of `reset({ cluster: true })`: deletes up to `step` sessions (the least recently active first), and, once
 * no session is left, the global figures and the session indexes, in the same atomic call (so the indexes never
 * name a session that is gone while others remain). KEYS[1]: the global hash (routes the call to the prefix's node
 * on a Cluster). ARGV: prefix, step. Returns the number of sessions left (0: done).
 *
 * The epoch and the replicas' chunk numbers stay: with the epoch gone, every replica would take Redis for
 * restarted empty and write its whole contribution back, undoing the reset. Instead the global hash carries a
 * reset generation (`resets`) that every replica reads back (redis-cluster-view.ts).
 */
const RESET_SCRIPT = `
local prefix = ARGV[1]
local step = tonumber(ARGV[2])
local sessionsKey = prefix .. 'sessions'
local ids = redis.call('ZRANGE', sessionsKey, 0, step - 1)
for _, id in ipairs(ids) do
  redis.call('UNLINK', prefix .. 'session:' .. id)
  redis.call('ZREM', prefix .. 'active', id)
  redis.call('ZREM', prefix .. 'ended', id)
end
if #ids > 0 then
  redis.call('ZREM', sessionsKey, unpack(ids))
end
local left = redis.call('ZCARD', sessionsKey)
if left == 0 then
  local epochKey = prefix .. 'epoch'
  local generation = redis.call('HINCRBY', epochKey, 'resets', 1)
  -- The calls before the reset are no longer the cluster's: a later loss of Redis does not count them as lost.
  redis.call('HSET', epochKey, 'seen', 0, 'restored', 0)
  redis.call('UNLINK', prefix .. 'global', prefix .. 'active', prefix .. 'ended')
  -- Read back by every replica's next flush (a field without '|', which the figures ignore): it then drops its
  -- cached sessions and its contribution of before the reset.
  redis.call('HSET', prefix .. 'global', 'resets', generation)
end
return left
`;

/**
 * One step of clearing the cluster's timeline: deletes up to `step` minute hashes listed in `tl:minutes` (and them
 * from it). KEYS[1]: the global hash (routing). ARGV: prefix, step. Returns the number of minutes left (0: done).
 * The replicas' write numbers (`tlseq:*`) stay, as the chunk numbers do.
 */
const TIMELINE_RESET_SCRIPT = `
local prefix = ARGV[1]
local indexKey = prefix .. 'tl:minutes'
local minutes = redis.call('ZRANGE', indexKey, 0, tonumber(ARGV[2]) - 1)
for _, minute in ipairs(minutes) do
  redis.call('UNLINK', prefix .. 'tl:' .. minute)
end
if #minutes > 0 then
  redis.call('ZREM', indexKey, unpack(minutes))
end
return redis.call('ZCARD', indexKey)
`;

/**
 * Clears the figures every replica shares under `prefix`, in bounded steps (one script call per
 * {@link RESET_STEP_SESSIONS} sessions, then per as many minutes of the timeline). Sessions that replicas write meanwhile are cleared too while steps remain.
 */
export async function clearSharedFigures(redis: HfRedisClient, prefix: string): Promise<void> {
  let left: number;
  do {
    left = Number(await redis.eval(RESET_SCRIPT, 1, [`${prefix}global`, prefix, String(RESET_STEP_SESSIONS)]));
  } while (left > 0);
  do {
    left = Number(await redis.eval(TIMELINE_RESET_SCRIPT, 1, [`${prefix}global`, prefix, String(RESET_STEP_SESSIONS)]));
  } while (left > 0);
}
