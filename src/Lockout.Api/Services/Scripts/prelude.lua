-- Shared by every guess-budget script. Redis runs each script atomically, so no other request can
-- observe or change an account between the checks and the writes below.
--
-- Keys of one account (the {user} hash tag keeps them in one cluster slot):
--   lockout:{user}           hash  locked, lockedAt, lockedUntil (0 = until unlocked), attempts, version
--   lockout:{user}:failures  zset  one member per failed attempt, scored by when it failed
--   lockout:{user}:leases    zset  one member per reserved, not yet settled attempt, scored by lease expiry

-- Returns the current lock (attempts, lockedUntil) or nil; forgets a timed lock that has run out.
local function current_lock(state_key, failures_key, now)
  local lock = redis.call('HMGET', state_key, 'locked', 'lockedUntil', 'attempts')
  if lock[1] ~= '1' then
    return nil
  end
  local locked_until = tonumber(lock[2] or '0')
  if locked_until ~= 0 and locked_until <= now then
    -- The lock has run out: the account starts again with a whole budget.
    redis.call('HDEL', state_key, 'locked', 'lockedAt', 'lockedUntil', 'attempts')
    redis.call('DEL', failures_key)
    return nil
  end
  return { tonumber(lock[3] or '0'), locked_until }
end

-- The next decision version: strictly above the last one, and at least the clock, so versions stay
-- ahead of the database's even after Redis has lost this account's state.
local function next_version(state_key, now)
  local last = tonumber(redis.call('HGET', state_key, 'version') or '0')
  return math.max(last + 1, now)
end

local function int(n)
  return string.format('%d', n)
end
