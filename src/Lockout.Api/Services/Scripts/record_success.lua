-- Settles a reserved attempt whose password was right: the failures are forgotten, unless the account
-- was locked meanwhile (a right password never unlocks).
-- KEYS: state, failures, leases
-- ARGV: shift_ms, lease_id
-- Returns { status (0 signed in, 1 locked) }
local now = now_ms(ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
if current_lock(KEYS[1], KEYS[2], now) then
  return { 1 }
end
redis.call('DEL', KEYS[2])
return { 0 }
