import { READ_PHASE } from './redis-script-reads.js';

/**
 * The one script of the Redis store, run once per chunk of a flush (docs/redis-protocol.md describes the protocol).
 * It runs atomically, so every decision it takes holds for the whole cluster:
 * - applies a chunk at most once (each replica numbers its chunks; the script keeps the last number applied);
 * - refuses chunks of another epoch (Redis lost its data since the replica last wrote), so the replica first
 *   restores its own contribution;
 * - keeps the bounds: `maxModels` names per dimension (model, provider, billTo), `maxKeys` error types and status
 *   codes per figures, `maxSessions` sessions (ended ones make room; past that, new sessions are refused and counted);
 * - decides session ends once, idle ends on Redis's clock (`TIME`): the replica's times are shifted by the
 *   difference between its clock and Redis's when the chunk arrives.
 * Each call does bounded work, so that it blocks Redis for about 2 ms at most (redis-flush-plan.ts): at most
 * MAX_CHUNK_ARGS arguments of writes (a session's figures may span several chunks), at most `sweepLimit` idle ends
 * and `trimLimit` expired index entries, and reads within `readBudget` hash fields; what is left is reported, and the
 * replica sends it in the next call.
 *
 * KEYS[1]: the global hash, so that a Cluster client sends the call to the node of the prefix's slot (every key
 * of the store is under one hash tag there, see hf-stats-store.options.ts).
 * ARGV: prefix, replicaId, replicaNow, retentionMs, idleMs, listedSessions (0: none listed), markerTtlMs, seq, epoch
 * ('' when unknown), maxModels, maxKeys, maxSessions, kind ('d' delta, 'r' restore, 'q' reads only: no number, no
 * writes), seenCalls, restoredCalls, sweepLimit (> 0: end up to that many idle sessions, trim the indexes, count the
 * active sessions), readBudget (hash fields to read at most), trimLimit, then the scopes (count, then per scope: sessionId or '' for global, startedAt, lastActivityAt,
 * endedAt (restore only, else 0), piece ('1': the rest of a scope that an earlier chunk began: never creates the
 * session), triple count, `op field value` triples), then the explicit ends (count, then `sessionId endedAt` pairs),
 * then the sessions to read in full (count, ids), then the hash to read in pieces ('0' none, or '1', its id ('' the
 * global hash), the cursor to go on from ('0' its start)).
 *
 * Reads, in this order, while within the budget: the hash under way (the global one when listing), the sessions
 * asked for, the sessions this call ended, the `listedSessions` most recently active. A hash larger than what is
 * left is read in pieces (HSCAN) from a call that has read nothing else yet; the others wait (`unread`).
 *
 * Returns { status (1 applied, 0 applied before, -1 other epoch), epoch, { id, cursor ('0' done), fields } of the hash
 * read in pieces (or {}), activeCount,
 * { sessionId, fields, ... }, { sessionId, reason, ... }, lostCalls, refusedSessions, redisNow,
 * { sessionId, { startedAt, lastActivityAt, ended, endedAt }, ... }, unread ids, reset generation ('' none),
 * more ('1': the sweep or a trim stopped at its limit) }.
 */
export const FLUSH_SCRIPT = `
local prefix = ARGV[1]
local replicaId = ARGV[2]
local replicaNow = tonumber(ARGV[3])
local retentionMs = tonumber(ARGV[4])
local idleMs = tonumber(ARGV[5])
local listed = tonumber(ARGV[6])
local markerTtl = tonumber(ARGV[7])
local seq = tonumber(ARGV[8])
local knownEpoch = ARGV[9]
local maxModels = tonumber(ARGV[10])
local maxKeys = tonumber(ARGV[11])
local maxSessions = tonumber(ARGV[12])
local restore = ARGV[13] == 'r'
local seenCalls = tonumber(ARGV[14])
local restoredCalls = tonumber(ARGV[15])
local readsOnly = ARGV[13] == 'q'
local sweepLimit = tonumber(ARGV[16])
local budget = tonumber(ARGV[17])
local trimLimit = tonumber(ARGV[18])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local offset = now - replicaNow
local epochKey = prefix .. 'epoch'
local markerKey = prefix .. 'flushed:' .. replicaId
local globalKey = prefix .. 'global'
local sessionsKey = prefix .. 'sessions'
local activeKey = prefix .. 'active'
local endedKey = prefix .. 'ended'
local function sessionKey(id) return prefix .. 'session:' .. id end

local epoch = redis.call('HGET', epochKey, 'id')
if not epoch then
  epoch = replicaId .. ':' .. now
  redis.call('HSET', epochKey, 'id', epoch, 'seen', 0, 'restored', 0)
end
local function lostCalls()
  local counts = redis.call('HMGET', epochKey, 'seen', 'restored')
  return math.max(0, (tonumber(counts[1]) or 0) - (tonumber(counts[2]) or 0))
end
if knownEpoch ~= '' and knownEpoch ~= epoch then
  return { -1, epoch, {}, 0, {}, {}, lostCalls(), 0, now, {}, {}, '', '0' }
end

local won = {}
local touched = {}
local touchedSet = {}
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
    -- Not active (expired, or ended): out of the active index, so that a sweep never meets it again.
    redis.call('ZREM', activeKey, id)
    return
  end
  redis.call('HSET', key, 'ended', '1', 'endedAt', endedAt)
  redis.call('ZREM', activeKey, id)
  redis.call('ZADD', endedKey, endedAt, id)
  won[#won + 1] = id
  won[#won + 1] = reason
end

-- Room for one more session: under the bound, or by deleting the longest-ended one.
local function makeRoom()
  if redis.call('ZCARD', sessionsKey) < maxSessions then
    return true
  end
  local oldest = redis.call('ZPOPMIN', endedKey)
  if #oldest == 0 then
    return false
  end
  redis.call('DEL', sessionKey(oldest[1]))
  redis.call('ZREM', sessionsKey, oldest[1])
  redis.call('ZREM', activeKey, oldest[1])
  return true
end

-- The field a figure goes to in this hash: its name's in its dimension ('m:' model, 'p:' provider, 'b:'
-- billTo; each letter admitted while fewer than maxModels of its names are stored, counted in '#<letter>') or
-- '<letter>:other', then its error type or status code (likewise, maxKeys of each) or 'e:other' / 's:other'.
local function boundedField(key, field, admitted)
  local bar = string.find(field, '|', 1, true)
  if not bar then
    return field
  end
  local scope = string.sub(field, 1, bar - 1)
  local name = string.sub(field, bar + 1)
  local stored = admitted[scope]
  if stored == nil then
    stored = scope
    local letter = string.sub(scope, 1, 1)
    local other = letter .. ':other'
    if scope ~= 't' and scope ~= other and redis.call('HEXISTS', key, scope .. '|callCount') == 0 then
      if (tonumber(redis.call('HGET', key, '#' .. letter)) or 0) < maxModels then
        redis.call('HINCRBY', key, '#' .. letter, 1)
      else
        stored = other
      end
    end
    admitted[scope] = stored
  end
  local kind = string.sub(name, 1, 2)
  if (kind ~= 'e:' and kind ~= 's:') or string.sub(name, 3) == 'other' then
    return stored .. '|' .. name
  end
  local full = stored .. '|' .. name
  local known = admitted[full]
  if known == nil then
    known = full
    if redis.call('HEXISTS', key, full) == 0 then
      local countField = stored .. '|#' .. string.sub(kind, 1, 1)
      if (tonumber(redis.call('HGET', key, countField)) or 0) < maxKeys then
        redis.call('HINCRBY', key, countField, 1)
      else
        known = stored .. '|' .. kind .. 'other'
      end
    end
    admitted[full] = known
  end
  return known
end

local status = 0
local refused = 0
local lastSeq = nil
if readsOnly then
  status = 1
else
  lastSeq = tonumber(redis.call('GET', markerKey))
end
-- The body is read in any case: the sessions to read come after the scopes and ends.
local i = 19
local skip = readsOnly or not (lastSeq == nil or seq > lastSeq)
if skip then
  local scopeCount = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, scopeCount do
    i = i + 6 + 3 * tonumber(ARGV[i + 5])
  end
  i = i + 1 + 2 * tonumber(ARGV[i])
else
  status = 1
  redis.call('SET', markerKey, seq, 'PX', markerTtl)
  if restore then
    if seenCalls > (tonumber(redis.call('HGET', epochKey, 'seen')) or 0) then
      redis.call('HSET', epochKey, 'seen', seenCalls)
    end
    redis.call('HINCRBY', epochKey, 'restored', restoredCalls)
  end
  local scopeCount = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, scopeCount do
    local id = ARGV[i]
    local startedAt = tonumber(ARGV[i + 1]) + offset
    local lastActivityAt = tonumber(ARGV[i + 2]) + offset
    local endedArg = tonumber(ARGV[i + 3])
    local piece = ARGV[i + 4] == '1'
    local n = tonumber(ARGV[i + 5])
    i = i + 6
    local key = globalKey
    local keep = true
    if id ~= '' then
      key = sessionKey(id)
      -- The rest of a scope never creates its session: refused (or deleted) once is refused for all its pieces.
      keep = redis.call('EXISTS', key) == 1 or (not piece and makeRoom())
    end
    if not keep then
      if not piece then
        refused = refused + 1
      end
      i = i + 3 * n
    else
      local admitted = {}
      for _ = 1, n do
        local op, field, value = ARGV[i], boundedField(key, ARGV[i + 1], admitted), ARGV[i + 2]
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
        if started == nil or startedAt < started then
          redis.call('HSET', key, 'startedAt', startedAt)
        end
        local last = tonumber(redis.call('HGET', key, 'lastActivityAt'))
        if last == nil or lastActivityAt > last then
          last = lastActivityAt
          redis.call('HSET', key, 'lastActivityAt', lastActivityAt)
        end
        if restore and endedArg > 0 then
          -- Restored as it was (ended), without telling anyone again.
          local endedAt = endedArg + offset
          if last <= endedAt then
            redis.call('HSET', key, 'ended', '1', 'endedAt', endedAt)
            redis.call('ZREM', activeKey, id)
            redis.call('ZADD', endedKey, endedAt, id)
          end
        else
          -- Activity after the cluster's end reopens the session; activity from before it (a replica that
          -- flushes later) only adds its figures, so that a session is not ended twice.
          local endedAt = tonumber(redis.call('HGET', key, 'endedAt'))
          if redis.call('HGET', key, 'ended') ~= '1' or endedAt == nil or lastActivityAt > endedAt then
            redis.call('HSET', key, 'ended', '0')
            redis.call('HDEL', key, 'endedAt')
            redis.call('ZADD', activeKey, last, id)
            redis.call('ZREM', endedKey, id)
          end
        end
        redis.call('ZADD', sessionsKey, last, id)
        redis.call('PEXPIRE', key, retentionMs)
        if not restore and not touchedSet[id] then
          touchedSet[id] = true
          touched[#touched + 1] = id
        end
      end
    end
  end
  local endCount = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, endCount do
    finish(ARGV[i], tonumber(ARGV[i + 1]) + offset, 'ended')
    i = i + 2
  end
end

${READ_PHASE}`;
