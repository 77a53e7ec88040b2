import { END_IN_FIELDS } from './redis-flush-plan.js';

/**
 * The second half of the flush script (redis-scripts.ts), after its writes: the sweep (up to `sweepLimit` idle
 * sessions ended, up to `trimLimit` expired entries deleted per index), the listing, then the reads within
 * `readBudget` hash fields (a larger hash in pieces, HSCAN), the lifecycles of the sessions written, and the reply.
 * Runs in the scope of the first half: ARGV, `i` (the first argument after the ends), `won`, `wantedOrder`,
 * `touched`, the keys and the helpers are its.
 */
export const READ_PHASE = `
local activeCount = 0
local more = '0'
local listedIds = {}
-- Deletes up to trimLimit members of an index whose score is at most upTo; true when it stopped at the limit.
local function trim(indexKey, upTo)
  local ids = redis.call('ZRANGEBYSCORE', indexKey, '-inf', upTo, 'LIMIT', 0, trimLimit)
  if #ids > 0 then
    redis.call('ZREM', indexKey, unpack(ids))
  end
  return #ids == trimLimit
end
if sweepLimit > 0 then
  if idleMs > 0 then
    local idle = redis.call('ZRANGEBYSCORE', activeKey, '-inf', now - idleMs, 'LIMIT', 0, sweepLimit)
    for _, id in ipairs(idle) do
      finish(id, now, 'idle')
    end
    if #idle == sweepLimit then
      more = '1'
    end
    -- Each end costs about what END_IN_FIELDS fields read do: so much less is read in this call.
    budget = budget - ${END_IN_FIELDS} * #idle
  end
  for _, indexKey in ipairs({ sessionsKey, activeKey, endedKey }) do
    if trim(indexKey, now - retentionMs) then
      more = '1'
    end
  end
  activeCount = redis.call('ZCARD', activeKey)
end
-- The explicit ends and the sweep decided: those sessions are read in full (the end line shows the cluster's).
for j = 1, #won, 2 do
  want(won[j])
end
if listed > 0 then
  for _, id in ipairs(redis.call('ZREVRANGE', sessionsKey, 0, listed - 1)) do
    listedIds[#listedIds + 1] = id
  end
end
-- One hash read in pieces when it is larger than the budget (HSCAN: each piece as of its call, a field possibly
-- twice); first the one under way, '' being the global hash.
local readAny = false
local scan = {}
local function scanHash(id, cursor)
  local key = id == '' and globalKey or sessionKey(id)
  local piece
  if cursor == '0' and redis.call('HLEN', key) <= budget then
    piece = { '0', redis.call('HGETALL', key) }
  else
    piece = redis.call('HSCAN', key, cursor, 'COUNT', math.max(budget, 100))
  end
  scan = { id, piece[1], piece[2] }
  budget = budget - #piece[2] / 2
  readAny = true
end
-- The ids asked for come first: they are the oldest wishes (the replica keeps the rest for the next call).
local queue = {}
local queued = {}
local readCount = tonumber(ARGV[i])
for j = 1, readCount do
  local id = ARGV[i + j]
  if not queued[id] then
    queued[id] = true
    queue[#queue + 1] = id
  end
end
i = i + readCount + 1
if ARGV[i] == '1' then
  scanHash(ARGV[i + 1], ARGV[i + 2])
end
for _, id in ipairs(wantedOrder) do
  if not queued[id] then
    queued[id] = true
    queue[#queue + 1] = id
  end
end
for _, id in ipairs(listedIds) do
  if not queued[id] then
    queued[id] = true
    queue[#queue + 1] = id
  end
end
local sessions = {}
local unread = {}
for _, id in ipairs(queue) do
  if scan[1] == id then
    -- Read in pieces, the rest by the next calls (or whole by now).
  elseif #unread > 0 then
    unread[#unread + 1] = id
  else
    local key = sessionKey(id)
    local size = redis.call('HLEN', key)
    if size > budget then
      -- Larger than what is left: read in pieces from a call that has read nothing yet, else next time.
      if readAny or budget <= 0 then
        unread[#unread + 1] = id
      else
        scanHash(id, '0')
      end
    elseif size > 0 then
      sessions[#sessions + 1] = id
      sessions[#sessions + 1] = redis.call('HGETALL', key)
      budget = budget - size
      readAny = true
    end
  end
end
-- Sessions this replica has cached: their lifecycle only; their figures it adds itself (a session of 50 models is
-- some 1,800 fields, too many to read back for each session touched in each flush).
local lifecycles = {}
for _, id in ipairs(touched) do
  local values = redis.call('HMGET', sessionKey(id), 'startedAt', 'lastActivityAt', 'ended', 'endedAt')
  lifecycles[#lifecycles + 1] = id
  lifecycles[#lifecycles + 1] = { values[1] or '', values[2] or '', values[3] or '', values[4] or '' }
end
return {
  status, epoch, scan, activeCount, sessions, won, lostCalls(), refused, now, lifecycles, unread,
  redis.call('HGET', globalKey, 'resets') or '', more
}
`;
