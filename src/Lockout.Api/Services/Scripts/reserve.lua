-- Account mode (the seed's rule): reserves one password verification, or refuses because the account is
-- locked, its budget is spoken for, or the event this attempt might cause would not fit in the outbox.
-- ARGV after the common five: max_failed_attempts, failure_window_ms, lease_ms, lease_id, outbox_capacity
-- Returns { status (0 reserved, 1 locked, 2 budget exhausted, 3 outbox full), failures, version,
--           lock_ends_in_ms (0 = until unlocked), pending_version (0 = none), in_flight (other attempts, when reserved) }
local acct = account(KEYS, ARGV)
local max = tonumber(ARGV[6])
local lock = current_lock(acct, false)
local state = redis.call('HMGET', acct.state, 'version', 'pending')
local version = tonumber(state[1] or '0')
local pending = tonumber(state[2] or '0')
if lock then
  return { 1, lock[1], version, ends_in(lock[2], acct.now), pending }
end

redis.call('ZREMRANGEBYSCORE', acct.failures, '-inf', acct.now - tonumber(ARGV[7]))
redis.call('ZREMRANGEBYSCORE', acct.leases, '-inf', acct.now)
local failures = redis.call('ZCARD', acct.failures)
local in_flight = redis.call('ZCARD', acct.leases)
-- In-flight attempts count against the budget: with 4 failures and 1 attempt in flight, a 6th request
-- cannot verify a password, because the one in flight may be the 5th failure.
if failures + in_flight >= max then
  return { 2, failures, version, 0, pending }
end

if failures + in_flight + 1 >= max and outbox_full(acct.outbox, ARGV[10]) then
  return { 3, failures, version, 0, pending }
end

redis.call('ZADD', acct.leases, acct.now + tonumber(ARGV[8]), ARGV[9])
redis.call('PEXPIRE', acct.leases, tonumber(ARGV[8]))
return { 0, failures, version, 0, pending, in_flight }
