-- Settles a source's reserved verification: a wrong password counts against the source; the failure that
-- reaches the limit throttles it and appends the SOURCE_THROTTLED event in the same step.
-- KEYS: source_failures, source_leases, outbox
-- ARGV: shift_ms, max_failures, window_ms, lease_id, failed (1/0), event_id, source, traceparent, bucket
-- Returns { throttled_now (0/1), retry_after_ms }
local now = now_ms(ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[4])
if ARGV[5] ~= '1' then
  return { 0, 0 }
end

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
append_event(KEYS[3], ARGV[9],
  'eventId', ARGV[6], 'type', 'SOURCE_THROTTLED', 'source', ARGV[7], 'occurredAt', int(now),
  'attempts', int(failures), 'version', int(now), 'lockedUntil', int(throttled_until), 'traceparent', ARGV[8])
return { 1, throttled_until - now }
