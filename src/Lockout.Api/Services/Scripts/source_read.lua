-- What Redis knows of a source, for the admin API.
-- KEYS: source_failures
-- ARGV: shift_ms, max_failures, window_ms
-- Returns { failures in the window, throttled (0/1), retry_after_ms }
local now = now_ms(ARGV[1])
local max = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local failures = redis.call('ZCARD', KEYS[1])
if failures < max then
  return { failures, 0, 0 }
end
local freeing = redis.call('ZRANGE', KEYS[1], failures - max, failures - max, 'WITHSCORES')
return { failures, 1, math.max(tonumber(freeing[2]) + window - now, 1) }
