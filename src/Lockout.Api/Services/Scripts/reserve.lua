-- Reserves one password verification, or refuses because the account is locked, its budget is spoken
-- for, or the event this attempt might cause would not fit in the outbox.
-- KEYS: state, failures, leases, outbox
-- ARGV: shift_ms, max_failed_attempts, failure_window_ms, lease_ms, lease_id, outbox_capacity
-- Returns { status (0 reserved, 1 locked, 2 budget exhausted, 3 outbox full), failures, version,
--           locked_until_ms (0 = until unlocked), pending_version (0 = none) }
local now = now_ms(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'version', 'pending')
local version = tonumber(state[1] or '0')
local pending = tonumber(state[2] or '0')

local lock = current_lock(KEYS[1], KEYS[2], now)
if lock then
  return { 1, lock[1], version, lock[2], pending }
end

local max = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[3]))
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
local failures = redis.call('ZCARD', KEYS[2])
local in_flight = redis.call('ZCARD', KEYS[3])
-- In-flight attempts count against the budget: with 4 failures and 1 attempt in flight, a 6th request
-- cannot verify a password, because the one in flight may be the 5th failure.
if failures + in_flight >= max then
  return { 2, failures, version, 0, pending }
end

if failures + in_flight + 1 >= max and outbox_full(KEYS[4], ARGV[6]) then
  return { 3, failures, version, 0, pending }
end

redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[5])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4]))
return { 0, failures, version, 0, pending }
