/**
 * The lease script of cluster-wide budgets (docs/redis-protocol.md, "Budget leases"). One call per lease taken or
 * given back; it touches one session's budget hash and the budgets index, both under the store's prefix (one hash
 * slot on a Cluster).
 *
 * KEYS[1]: `<prefix>budget:<sessionId>`, a hash: `c`, `t`, `n` (calls, texts, nano-dollars the replicas reported
 * spent) and one field `r:<replicaId>` per lease held: `"calls texts nanoUsd expiresAt"`.
 * ARGV: prefix, sessionId, replicaId, leaseTtlMs, retentionMs, maxSessions,
 * maxCalls, maxTexts, maxNanoUsd (-1: no such limit), spentCalls, spentTexts, spentNanoUsd (what the replica spent
 * since its last call, its debts included), wantCalls, wantTexts, wantNanoUsd (the call waiting), mode (`lease` or
 * `return`), waiting (calls of the session waiting on this replica, the one that asks included).
 *
 * The replica's previous lease is dropped (what it spent of it is in the report), expired leases of other replicas
 * are dropped (their replica died or lost Redis: the budget they held comes back), then, for `lease`, the call is
 * refused when a limit has nothing left (spent plus others' leases >= limit), or when the waiting call's share is
 * more than is left while another replica holds a lease (granted, it would take the budget past the limit, and the
 * other replica could still let calls through from its slice), else the replica gets a slice:
 * max(want, min(left, max(1, floor(left / (2 * holders)), want * waiting))) per limit, holders counting this
 * replica (the calls already waiting are served by one call; the slice shrinks as the budget nears its end). The work is
 * bounded by the number of replicas holding a lease on the session. Leases end, and the budgets index ages, on Redis's
 * clock (`TIME`): the replicas' clocks need not agree.
 *
 * Returns { status, grantCalls, grantTexts, grantNanoUsd, usedCalls, usedTexts, usedNanoUsd, limit } with status
 * 1 granted, 0 refused (limit: 1 maxCalls, 2 maxTexts, 3 maxCostUsd), 2 no room for another session's budget
 * (maxSessions), 3 given back. `used*`: spent plus the leases of the other replicas (a grant of -1: no such limit).
 */
export const LEASE_SCRIPT = `
local key = KEYS[1]
local prefix = ARGV[1]
local sessionId = ARGV[2]
local mine = 'r:' .. ARGV[3]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[4])
local retention = tonumber(ARGV[5])
local maxSessions = tonumber(ARGV[6])
local limits = { tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]) }
local spent = { tonumber(ARGV[10]), tonumber(ARGV[11]), tonumber(ARGV[12]) }
local want = { tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15]) }
local mode = ARGV[16]
local waiting = tonumber(ARGV[17])
local index = prefix .. 'budgets'
local fields = { 'c', 't', 'n' }

if redis.call('EXISTS', key) == 0 then
  if mode == 'return' then
    -- Expired or cleared by reset({ cluster: true }): nothing to give back to.
    return { 3, 0, 0, 0, 0, 0, 0, 0 }
  end
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now - retention)
  if redis.call('ZCARD', index) >= maxSessions and not redis.call('ZSCORE', index, sessionId) then
    return { 2, 0, 0, 0, 0, 0, 0, 0 }
  end
end
for i = 1, 3 do
  if spent[i] ~= 0 then
    redis.call('HINCRBY', key, fields[i], spent[i])
  end
end
redis.call('HDEL', key, mine)
local used = { 0, 0, 0 }
local holders = 1
local all = redis.call('HGETALL', key)
for i = 1, #all, 2 do
  local name = all[i]
  if name == 'c' then
    used[1] = used[1] + tonumber(all[i + 1])
  elseif name == 't' then
    used[2] = used[2] + tonumber(all[i + 1])
  elseif name == 'n' then
    used[3] = used[3] + tonumber(all[i + 1])
  else
    local c, t, n, expiresAt = string.match(all[i + 1], '^(%S+) (%S+) (%S+) (%S+)$')
    if expiresAt == nil or tonumber(expiresAt) <= now then
      redis.call('HDEL', key, name)
    else
      holders = holders + 1
      used[1] = used[1] + tonumber(c)
      used[2] = used[2] + tonumber(t)
      used[3] = used[3] + tonumber(n)
    end
  end
end
redis.call('PEXPIRE', key, retention)
redis.call('ZADD', index, now, sessionId)
if mode == 'return' then
  return { 3, 0, 0, 0, used[1], used[2], used[3], 0 }
end
local grant = { -1, -1, -1 }
for i = 1, 3 do
  if limits[i] >= 0 then
    local left = limits[i] - used[i]
    -- A share above what is left takes the budget past its limit: let through only when no other replica holds a
    -- slice, from which it could let more calls through afterwards (one process lets nothing through after it).
    if left <= 0 or (want[i] > left and holders > 1) then
      return { 0, 0, 0, 0, used[1], used[2], used[3], i }
    end
    local slice = math.max(1, math.floor(left / (2 * holders)), want[i] * waiting)
    grant[i] = math.max(want[i], math.min(left, slice))
  end
end
redis.call('HSET', key, mine, string.format('%d %d %d %d', math.max(grant[1], 0), math.max(grant[2], 0),
  math.max(grant[3], 0), now + ttl))
return { 1, grant[1], grant[2], grant[3], used[1], used[2], used[3], 0 }
`;

/** Budgets deleted per call of {@link LEASE_RESET_SCRIPT}. */
export const LEASE_RESET_STEP = 200;

/**
 * One step of `reset({ cluster: true })` for the budgets: deletes up to ARGV[2] budget hashes named by the index,
 * then the index once empty. KEYS[1]: the index (routes the call). ARGV: prefix, step. Returns the number left.
 */
export const LEASE_RESET_SCRIPT = `
local index = KEYS[1]
local ids = redis.call('ZRANGE', index, 0, tonumber(ARGV[2]) - 1)
for _, id in ipairs(ids) do
  redis.call('UNLINK', ARGV[1] .. 'budget:' .. id)
end
if #ids > 0 then
  redis.call('ZREM', index, unpack(ids))
end
return redis.call('ZCARD', index)
`;
