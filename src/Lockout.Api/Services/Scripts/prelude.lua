-- Shared by every guess-budget script. Redis runs each script atomically, so no other request can
-- observe or change an account between the checks and the writes below.
--
-- Keys of one account; the {bucket} hash tag keeps them in one cluster slot with the bucket's outbox:
--   lockout:{b}:acct:USER           hash  locked, lockedAt, lockedUntil (0 = until unlocked), attempts, version,
--                                         pending (a decision the database has not shown yet)
--   lockout:{b}:acct:USER:failures  zset  one member per failed attempt, scored by when it failed
--   lockout:{b}:acct:USER:leases    zset  one member per reserved, not yet settled attempt, scored by lease expiry
--   lockout:{b}:outbox              stream  lock events waiting for Kafka
--
-- ARGV[1] of every script that reads the time is a shift in milliseconds added to Redis's clock: 0 in
-- production, so every API instance decides on one clock (Redis's TIME, not its own); tests move it.

local function now_ms(shift)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(shift)
end

local function int(n)
  return string.format('%d', n)
end

-- Returns the current lock (attempts, lockedUntil) or nil; forgets a timed lock that has run out.
local function current_lock(state_key, failures_key, now)
  local lock = redis.call('HMGET', state_key, 'locked', 'lockedUntil', 'attempts')
  if lock[1] ~= '1' then
    return nil
  end
  local locked_until = tonumber(lock[2] or '0')
  if locked_until ~= 0 and locked_until <= now then
    -- The lock has run out: the account starts again with a whole budget.
    redis.call('HDEL', state_key, 'locked', 'lockedAt', 'lockedUntil', 'attempts')
    redis.call('DEL', failures_key)
    return nil
  end
  return { tonumber(lock[3] or '0'), locked_until }
end

-- The next decision version: strictly above the last one, and at least the clock, so versions stay
-- ahead of the database's even after Redis has lost this account's state.
local function next_version(state_key, now)
  local last = tonumber(redis.call('HGET', state_key, 'version') or '0')
  return math.max(last + 1, now)
end

-- True when the bucket's outbox holds its share of the capacity: a decision that would add an event is
-- then not taken (the request gets 503 and nothing is counted), so no event is ever dropped.
local function outbox_full(outbox_key, capacity)
  return tonumber(capacity) > 0 and redis.call('XLEN', outbox_key) >= tonumber(capacity)
end

-- Appends an event to the bucket's outbox and wakes the relays. Field pairs follow the stream key.
local function append_event(outbox_key, bucket, ...)
  redis.call('XADD', outbox_key, '*', ...)
  redis.call('PUBLISH', 'lockout:outbox:wake', bucket)
end

-- A decision stays in Redis, without expiry, until a login sees it in the database: neither a long
-- broker outage nor a retention can let an older database row undo it.
local function keep_until_applied(state_key, version)
  redis.call('HSET', state_key, 'pending', int(version))
  redis.call('PERSIST', state_key)
end
