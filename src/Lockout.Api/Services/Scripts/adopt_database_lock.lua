-- The database holds a lock Redis does not know (Redis lost its state, or the lock came from elsewhere):
-- remember it, so later attempts are refused here without reading the database. Gives the lease back.
-- KEYS: state, leases
-- ARGV: lease_id, now_ms (when Redis learnt of the lock), locked_until_ms (0 = until unlocked), version
redis.call('ZREM', KEYS[2], ARGV[1])
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if tonumber(ARGV[4]) > current then
  redis.call('HSET', KEYS[1], 'locked', '1', 'lockedAt', ARGV[2], 'lockedUntil', ARGV[3], 'attempts', '0', 'version', ARGV[4])
  redis.call('PERSIST', KEYS[1])
end
return 1
