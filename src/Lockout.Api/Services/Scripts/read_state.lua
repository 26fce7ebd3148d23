-- What Redis knows of an account, for the admin API.
-- ARGV after the common five: failure_window_ms, keep_failures (1 in Smart mode)
-- Returns { locked (0/1), failures (attempts at lock time while locked), locked_at_ms, locked_until_ms, version, pending }
local acct = account(KEYS, ARGV)
local lock = current_lock(acct, ARGV[7] == '1')
local state = redis.call('HMGET', acct.state, 'lockedAt', 'version', 'pending')
local version = tonumber(state[2] or '0')
local pending = tonumber(state[3] or '0')
if lock then
  return { 1, lock[1], tonumber(state[1] or '0'), lock[2], version, pending }
end
redis.call('ZREMRANGEBYSCORE', acct.failures, '-inf', acct.now - tonumber(ARGV[6]))
return { 0, redis.call('ZCARD', acct.failures), 0, 0, version, pending }
