-- Account mode: settles a reserved attempt whose password was wrong. The failure that fills the budget locks
-- the account and appends the LOCKED event to the outbox in this same atomic step: a lock is never decided
-- without its event, nor its event written without the lock.
-- ARGV after the common five: max_failed_attempts, failure_window_ms, lease_id, lock_duration_ms,
--   known_user (1/0), unknown_user_retention_ms
-- Returns { status (0 counted, 1 locked now, 2 already locked), failures, lock_ends_in_ms (0 = until unlocked) }
local acct = account(KEYS, ARGV)
redis.call('ZREM', acct.leases, ARGV[8])
local lock = current_lock(acct, false)
if lock then
  return { 2, lock[1], ends_in(lock[2], acct.now) }
end

local window = tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', acct.failures, '-inf', acct.now - window)
redis.call('ZADD', acct.failures, acct.now, ARGV[8])
redis.call('PEXPIRE', acct.failures, window)
local failures = redis.call('ZCARD', acct.failures)
if failures < tonumber(ARGV[6]) then
  return { 0, failures, 0 }
end

local locked_until = 0
if tonumber(ARGV[9]) > 0 then
  locked_until = acct.now + tonumber(ARGV[9])
end
lock_account(acct, failures, locked_until, ARGV[10], ARGV[11])
-- The lock holds the count now; a lock that ends (or is lifted) starts the account with a whole budget.
redis.call('DEL', acct.failures)
return { 1, failures, ends_in(locked_until, acct.now) }
