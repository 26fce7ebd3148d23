-- What Redis knows of an account, for the admin API.
-- KEYS: state, failures
-- ARGV: shift_ms, failure_window_ms
-- Returns { locked (0/1), failures (attempts at lock time while locked), locked_at_ms, locked_until_ms, version, pending }
local now = now_ms(ARGV[1])
local lock = current_lock(KEYS[1], KEYS[2], now)
local state = redis.call('HMGET', KEYS[1], 'lockedAt', 'version', 'pending')
local version = tonumber(state[2] or '0')
local pending = tonumber(state[3] or '0')
if lock then
  return { 1, lock[1], tonumber(state[1] or '0'), lock[2], version, pending }
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[2]))
return { 0, redis.call('ZCARD', KEYS[2]), 0, 0, version, pending }
