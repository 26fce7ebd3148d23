-- Gives a reserved attempt back without counting it (the password was never verified).
-- KEYS: leases
-- ARGV: lease_member
return redis.call('ZREM', KEYS[1], ARGV[1])
