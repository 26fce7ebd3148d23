-- Shared by every Lockout script. Redis runs each script atomically, so no other request can observe or change
-- an account or a source between the checks and the writes below.
--
-- An account's keys carry its bucket as hash tag, so in a Redis Cluster they share one slot with the bucket's outbox:
--   lockout:{b}:acct:USER            hash  locked, lockedAt, lockedUntil (0 = until unlocked), attempts, version,
--                                          pending (a decision the database has not shown yet), level, levelAt
--   lockout:{b}:acct:USER:failures   zset  failed attempts, scored by when they failed
--   lockout:{b}:acct:USER:leases     zset  reserved, unsettled attempts, scored by lease expiry
--   (Smart mode) :sources hash of per-source counts, :blocks hash of per-source blocks, :familiar hash of sources
--   that signed in, :wrong zset of keyed hashes of recent wrong passwords
--   lockout:{b}:outbox               stream  events waiting for Kafka
--
-- Every account script takes KEYS state, failures, leases, outbox first, and ARGV shift_ms, username, bucket,
-- event_id (for an event the script may append), traceparent first; its own arguments follow.
-- shift_ms is added to Redis's clock: 0 in production, so every API instance decides on one clock (Redis's TIME,
-- not its own); tests move it.

local function now_ms(shift)
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(shift)
end

local function int(n)
  return string.format('%d', n)
end

-- What remains of a lock or block that ends at `till` (0: until lifted, returned as 0), in ms. Scripts return this,
-- not the end itself: the API adds it to its own clock, so an instance whose clock disagrees with Redis's (or a
-- test's fake clock) still tells the client when the lock ends.
local function ends_in(till, now)
  if till == 0 then
    return 0
  end
  return math.max(till - now, 1)
end

local function account(keys, argv)
  return {
    state = keys[1], failures = keys[2], leases = keys[3], outbox = keys[4],
    username = argv[2], bucket = argv[3], event_id = argv[4], traceparent = argv[5],
    now = now_ms(argv[1]),
  }
end

-- Appends an event to the bucket's outbox and wakes the relays. Field pairs follow.
local function append_event(outbox_key, bucket, ...)
  redis.call('XADD', outbox_key, '*', ...)
  redis.call('PUBLISH', 'lockout:outbox:wake', bucket)
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

-- A decision stays in Redis, without expiry, until a login sees it in the database: neither a long
-- broker outage nor a retention can let an older database row undo it.
local function keep_until_applied(state_key, version)
  redis.call('HSET', state_key, 'pending', int(version))
  redis.call('PERSIST', state_key)
end

-- Returns the account's current lock { attempts, locked_until } or nil. A timed lock that has run out is
-- forgotten here, and its end recorded as a LOCK_EXPIRED event (the database row follows). keep_failures:
-- Smart mode's account-wide cap counts over its own window, which a lock's end must not reset.
local function current_lock(acct, keep_failures)
  local lock = redis.call('HMGET', acct.state, 'locked', 'lockedUntil', 'attempts')
  if lock[1] ~= '1' then
    return nil
  end
  local locked_until = tonumber(lock[2] or '0')
  if locked_until == 0 or locked_until > acct.now then
    return { tonumber(lock[3] or '0'), locked_until }
  end

  redis.call('HDEL', acct.state, 'locked', 'lockedAt', 'lockedUntil', 'attempts')
  if not keep_failures then
    redis.call('DEL', acct.failures)
  end
  local version = next_version(acct.state, acct.now)
  redis.call('HSET', acct.state, 'version', int(version))
  append_event(acct.outbox, acct.bucket,
    'eventId', acct.event_id, 'type', 'LOCK_EXPIRED', 'username', acct.username, 'occurredAt', int(acct.now),
    'attempts', '0', 'version', int(version), 'lockedUntil', int(locked_until), 'traceparent', acct.traceparent)
  return nil
end

-- Locks the account and appends LOCKED. A lock on a known user stays until the database shows it; one on a
-- username that does not exist is forgotten after a retention, so made-up names cannot fill Redis.
local function lock_account(acct, attempts, locked_until, known, unknown_retention_ms, extra)
  local version = next_version(acct.state, acct.now)
  redis.call('HSET', acct.state, 'locked', '1', 'lockedAt', int(acct.now), 'lockedUntil', int(locked_until),
    'attempts', int(attempts), 'version', int(version))
  if known == '1' then
    keep_until_applied(acct.state, version)
  else
    redis.call('HDEL', acct.state, 'pending')
    redis.call('PEXPIRE', acct.state, tonumber(unknown_retention_ms))
  end
  local fields = { 'eventId', acct.event_id, 'type', 'LOCKED', 'username', acct.username, 'occurredAt', int(acct.now),
    'attempts', int(attempts), 'version', int(version), 'lockedUntil', int(locked_until), 'traceparent', acct.traceparent }
  for _, value in ipairs(extra or {}) do
    table.insert(fields, value)
  end
  append_event(acct.outbox, acct.bucket, unpack(fields))
end

-- Growing temporary locks: the level goes up by one if the previous lock of the same subject came within
-- reset_ms, else starts at 1. levels is a comma-separated list of durations in ms; past its end, 0 (until lifted).
local function next_level(previous_level, previous_at, now, reset_ms)
  if previous_at and previous_at > 0 and now - previous_at <= tonumber(reset_ms) then
    return (previous_level or 0) + 1
  end
  return 1
end

local function level_duration(levels, level)
  local i = 0
  for duration in string.gmatch(levels, '[^,]+') do
    i = i + 1
    if i == level then
      return tonumber(duration)
    end
  end
  return 0
end
