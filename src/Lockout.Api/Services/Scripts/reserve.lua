-- Reserves one password verification, or refuses because the account is locked or its budget is spoken for.
-- KEYS: state, failures, leases
-- ARGV: now_ms, max_failed_attempts, failure_window_ms, lease_ms, lease_id
-- Returns { status (0 reserved, 1 locked, 2 budget exhausted), failures, version, locked_until_ms (0 = until unlocked) }
local now = tonumber(ARGV[1])
local version = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')

local lock = current_lock(KEYS[1], KEYS[2], now)
if lock then
  return { 1, lock[1], version, lock[2] }
end

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local failures = redis.call('ZCARD', KEYS[2])
-- In-flight attempts count against the budget: with 4 failures and 1 attempt in flight, a 6th request
-- cannot verify a password, because the one in flight may be the 5th failure.
if failures + redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[2]) then
  return { 2, failures, version, 0 }
end

redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[5])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4]))
return { 0, failures, version, 0 }
