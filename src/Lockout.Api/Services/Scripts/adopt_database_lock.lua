-- The database holds a lock Redis does not know (Redis lost its state, or forgot a lock the database
-- already shows): remember it, so later attempts are refused here without reading the database. Gives
-- the lease back.
-- KEYS: state, leases
-- ARGV: shift_ms, lease_id, locked_until_ms (0 = until unlocked), version, state_retention_ms
local now = now_ms(ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if tonumber(ARGV[4]) > current then
  redis.call('HSET', KEYS[1], 'locked', '1', 'lockedAt', int(now), 'lockedUntil', ARGV[3], 'attempts', '0', 'version', ARGV[4])
  redis.call('HDEL', KEYS[1], 'pending')
  -- The row keeps the lock; Redis may forget it again and read it back.
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
end
return 1
