-- Settles a reserved attempt whose password was wrong. The failure that fills the budget locks the
-- account and appends the LOCKED event to the outbox in this same atomic step: a lock is never decided
-- without its event, nor its event written without the lock.
-- KEYS: state, failures, leases, outbox
-- ARGV: shift_ms, max_failed_attempts, failure_window_ms, lease_id, event_id, username, traceparent,
--       lock_duration_ms, bucket, known_user (1/0), unknown_user_retention_ms
-- Returns { status (0 counted, 1 locked now, 2 already locked), failures, locked_until_ms (0 = until unlocked) }
local now = now_ms(ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[4])

local lock = current_lock(KEYS[1], KEYS[2], now)
if lock then
  return { 2, lock[1], lock[2] }
end

local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
redis.call('ZADD', KEYS[2], now, ARGV[4])
redis.call('PEXPIRE', KEYS[2], window)
local failures = redis.call('ZCARD', KEYS[2])
if failures < tonumber(ARGV[2]) then
  return { 0, failures, 0 }
end

local version = next_version(KEYS[1], now)
local locked_until = 0
if tonumber(ARGV[8]) > 0 then
  locked_until = now + tonumber(ARGV[8])
end
redis.call('HSET', KEYS[1], 'locked', '1', 'lockedAt', int(now), 'lockedUntil', int(locked_until),
  'attempts', int(failures), 'version', int(version))
-- The lock holds the count now; a lock that ends (or is lifted) starts the account with a whole budget.
redis.call('DEL', KEYS[2])
if ARGV[10] == '1' then
  keep_until_applied(KEYS[1], version)
else
  -- No such user: no row will ever show this lock. It behaves as a real account's would while it is
  -- kept, then is forgotten, so a list of made-up names cannot fill Redis.
  redis.call('HDEL', KEYS[1], 'pending')
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[11]))
end
append_event(KEYS[4], ARGV[9],
  'eventId', ARGV[5], 'type', 'LOCKED', 'username', ARGV[6], 'occurredAt', int(now),
  'attempts', int(failures), 'version', int(version), 'lockedUntil', int(locked_until), 'traceparent', ARGV[7])
return { 1, failures, locked_until }
