/**
 * The one script of a flush: applies this replica's buffered deltas once (each replica numbers its flushes and
 * the script keeps the last number it applied per replica, so a flush retried after a timeout is not counted twice), decides session ends once per cluster
 * (a script runs atomically, so only one replica sees a session still open), and reads back the figures that
 * every replica shows. One round trip per flush interval.
 *
 * ARGV: prefix, replicaId, now, retentionMs, idleMs, listedSessions, markerTtlMs, flushSeq, then the scopes (count, then
 * per scope: sessionId or '' for global, startedAt, lastActivityAt, triple count, `op field value` triples),
 * then the explicit ends (count, then `sessionId endedAt` pairs).
 *
 * Returns { applied, globalFields, activeCount, { sessionId, fields, ... }, { sessionId, reason, ... } }.
 */
export const FLUSH_SCRIPT = `
local prefix = ARGV[1]
local replicaId = ARGV[2]
local now = tonumber(ARGV[3])
local retentionMs = tonumber(ARGV[4])
local idleMs = tonumber(ARGV[5])
local listed = tonumber(ARGV[6])
local markerTtl = tonumber(ARGV[7])
local flushSeq = tonumber(ARGV[8])
local markerKey = prefix .. 'flushed:' .. replicaId
local globalKey = prefix .. 'global'
local sessionsKey = prefix .. 'sessions'
local activeKey = prefix .. 'active'
local function sessionKey(id) return prefix .. 'session:' .. id end

local won = {}
local wanted = {}
local wantedOrder = {}
local function want(id)
  if not wanted[id] then
    wanted[id] = true
    wantedOrder[#wantedOrder + 1] = id
  end
end
local function finish(id, endedAt, reason)
  local key = sessionKey(id)
  if redis.call('EXISTS', key) == 0 or redis.call('HGET', key, 'ended') == '1' then
    return
  end
  redis.call('HSET', key, 'ended', '1', 'endedAt', endedAt)
  redis.call('ZREM', activeKey, id)
  won[#won + 1] = id
  won[#won + 1] = reason
  want(id)
end

local applied = 0
local lastSeq = tonumber(redis.call('GET', markerKey))
if lastSeq == nil or flushSeq > lastSeq then
  applied = 1
  redis.call('SET', markerKey, flushSeq, 'PX', markerTtl)
  local i = 9
  local scopeCount = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, scopeCount do
    local id = ARGV[i]
    local startedAt = ARGV[i + 1]
    local lastActivityAt = ARGV[i + 2]
    local n = tonumber(ARGV[i + 3])
    i = i + 4
    local key = globalKey
    if id ~= '' then key = sessionKey(id) end
    for _ = 1, n do
      local op, field, value = ARGV[i], ARGV[i + 1], ARGV[i + 2]
      i = i + 3
      if op == 'i' then
        redis.call('HINCRBY', key, field, value)
      elseif op == 'f' then
        redis.call('HINCRBYFLOAT', key, field, value)
      else
        local current = tonumber(redis.call('HGET', key, field))
        local candidate = tonumber(value)
        if current == nil or (op == '<' and candidate < current) or (op == '>' and candidate > current) then
          redis.call('HSET', key, field, value)
        end
      end
    end
    if id ~= '' then
      local started = tonumber(redis.call('HGET', key, 'startedAt'))
      if started == nil or tonumber(startedAt) < started then
        redis.call('HSET', key, 'startedAt', startedAt)
      end
      local last = tonumber(redis.call('HGET', key, 'lastActivityAt'))
      if last == nil or tonumber(lastActivityAt) > last then
        last = tonumber(lastActivityAt)
        redis.call('HSET', key, 'lastActivityAt', lastActivityAt)
      end
      -- Activity after the cluster's end reopens the session; activity from before it (a replica that
      -- flushes later) only adds its figures, so that a session is not ended twice.
      local endedAt = tonumber(redis.call('HGET', key, 'endedAt'))
      if redis.call('HGET', key, 'ended') ~= '1' or endedAt == nil or tonumber(lastActivityAt) > endedAt then
        redis.call('HSET', key, 'ended', '0')
        redis.call('HDEL', key, 'endedAt')
        redis.call('ZADD', activeKey, last, id)
      end
      redis.call('ZADD', sessionsKey, last, id)
      redis.call('PEXPIRE', key, retentionMs)
      want(id)
    end
  end
  local endCount = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, endCount do
    finish(ARGV[i], ARGV[i + 1], 'ended')
    i = i + 2
  end
end

if idleMs > 0 then
  local idle = redis.call('ZRANGEBYSCORE', activeKey, '-inf', now - idleMs, 'LIMIT', 0, 100)
  for _, id in ipairs(idle) do
    finish(id, now, 'idle')
  end
end
redis.call('ZREMRANGEBYSCORE', sessionsKey, '-inf', now - retentionMs)
redis.call('ZREMRANGEBYSCORE', activeKey, '-inf', now - retentionMs)

for _, id in ipairs(redis.call('ZREVRANGE', sessionsKey, 0, listed - 1)) do
  want(id)
end
local sessions = {}
for _, id in ipairs(wantedOrder) do
  local fields = redis.call('HGETALL', sessionKey(id))
  if #fields > 0 then
    sessions[#sessions + 1] = id
    sessions[#sessions + 1] = fields
  end
end
return { applied, redis.call('HGETALL', globalKey), redis.call('ZCARD', activeKey), sessions, won }
`;
