-- The database holds a lock Redis does not know (Redis lost its state, or forgot a lock the database
-- already shows): remember it, so later attempts are refused here without reading the database. Gives
-- the lease back.
-- ARGV after the common five: lease_member, locked_until_ms (0 = until unlocked), version, state_retention_ms
local acct = account(KEYS, ARGV)
redis.call('ZREM', acct.leases, ARGV[6])
local current = tonumber(redis.call('HGET', acct.state, 'version') or '0')
if tonumber(ARGV[8]) > current then
  redis.call('HSET', acct.state, 'locked', '1', 'lockedAt', int(acct.now), 'lockedUntil', ARGV[7], 'attempts', '0', 'version', ARGV[8])
  redis.call('HDEL', acct.state, 'pending')
  -- The row keeps the lock; Redis may forget it again and read it back.
  redis.call('PEXPIRE', acct.state, tonumber(ARGV[9]))
end
return 1
