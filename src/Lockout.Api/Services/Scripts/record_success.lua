-- Account mode: settles a reserved attempt whose password was right: the failures are forgotten, unless the
-- account was locked meanwhile (a right password never unlocks).
-- ARGV after the common five: lease_id
-- Returns { status (0 signed in, 1 locked) }
local acct = account(KEYS, ARGV)
redis.call('ZREM', acct.leases, ARGV[6])
if current_lock(acct, false) then
  return { 1 }
end
redis.call('DEL', acct.failures)
return { 0 }
