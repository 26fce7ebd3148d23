-- Smart mode: settles a reserved attempt whose password was right. The source becomes (or stays) familiar to the
-- account and its own count starts again; unfamiliar failures keep counting toward the account-wide cap. A right
-- password never unlocks: an unfamiliar source is refused while the account is locked.
-- KEYS: state, failures, leases, outbox, blocks, familiar, wrong
-- ARGV after the common five: lease_member, source, familiar_for_ms, max_familiar_sources
-- Returns { status (0 signed in, 1 locked) }
local acct = account(KEYS, ARGV)
local familiar_key, source = KEYS[6], ARGV[7]
redis.call('ZREM', acct.leases, ARGV[6])
if current_lock(acct, true) and string.sub(ARGV[6], 1, 1) ~= 'f' then
  return { 1 }
end

redis.call('HSET', familiar_key, source, int(acct.now))
if redis.call('HLEN', familiar_key) > tonumber(ARGV[9]) then
  -- Bounded: the source that signed in longest ago is forgotten first.
  local entries = redis.call('HGETALL', familiar_key)
  local oldest, oldest_at = nil, nil
  for i = 1, #entries, 2 do
    local at = tonumber(entries[i + 1])
    if not oldest_at or at < oldest_at then
      oldest, oldest_at = entries[i], at
    end
  end
  redis.call('HDEL', familiar_key, oldest)
end
redis.call('PEXPIRE', familiar_key, tonumber(ARGV[8]))
return { 0 }
