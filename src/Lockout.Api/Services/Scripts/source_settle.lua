-- Settles a source's reserved verification that found a wrong password: it counts against the source, and the
-- failure that reaches the limit throttles it and appends the SOURCE_THROTTLED event in the same step. (A right
-- password only gives the lease back, with a plain ZREM.)
-- KEYS: source_failures, source_leases, outbox
-- ARGV: shift_ms, max_failures, window_ms, lease_id, event_id, source, traceparent, bucket
-- Returns { throttled_now (0/1), retry_after_ms }
local now = now_ms(ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[4])

local max = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
local failures = redis.call('ZCARD', KEYS[1])
if failures ~= max then
  return { 0, 0 }
end

local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local throttled_until = tonumber(oldest[2]) + window
append_event(KEYS[3], ARGV[8],
  'eventId', ARGV[5], 'type', 'SOURCE_THROTTLED', 'source', ARGV[6], 'occurredAt', int(now),
  'attempts', int(failures), 'version', int(now), 'lockedUntil', int(throttled_until), 'traceparent', ARGV[7])
return { 1, throttled_until - now }
