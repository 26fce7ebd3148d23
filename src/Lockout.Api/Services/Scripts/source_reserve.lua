-- Reserves one verification for a source (a client address) against its failure limit across all accounts, or
-- refuses because the source is throttled. Like an account's budget, attempts in flight count, so however many of
-- a source's requests race, it cannot verify more wrong passwords than the limit.
-- KEYS: source_failures, source_leases, outbox
-- ARGV: shift_ms, max_failures, window_ms, lease_ms, lease_id, outbox_capacity
-- Returns { status (0 reserved, 1 throttled or no slot free, 3 outbox full), retry_after_ms, failures }
local now = now_ms(ARGV[1])
local max = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local failures = redis.call('ZCARD', KEYS[1])
local in_flight = redis.call('ZCARD', KEYS[2])
if failures + in_flight >= max then
  local retry_after
  if failures >= max then
    -- Sliding window: a slot frees when the failure that put the source over the limit leaves it.
    local freeing = redis.call('ZRANGE', KEYS[1], failures - max, failures - max, 'WITHSCORES')
    retry_after = tonumber(freeing[2]) + window - now
  else
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    retry_after = tonumber(first[2]) - now
  end
  return { 1, math.max(retry_after, 1), failures }
end

if failures + in_flight + 1 >= max and outbox_full(KEYS[3], ARGV[6]) then
  return { 3, 0, failures }
end

redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[5])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
return { 0, 0, failures }
