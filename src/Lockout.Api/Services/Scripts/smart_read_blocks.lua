-- The sources an account has blocked now, for the admin API.
-- KEYS: blocks
-- ARGV: shift_ms
-- Returns a flat list: source, level, blocked_until_ms (0 = until lifted), blocked_at_ms, ...
local now = now_ms(ARGV[1])
local result = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local level, till, at = string.match(entries[i + 1], '^(%d+)|(%d+)|(%d+)$')
  if level and (tonumber(till) == 0 or tonumber(till) > now) then
    table.insert(result, entries[i])
    table.insert(result, tonumber(level))
    table.insert(result, tonumber(till))
    table.insert(result, tonumber(at))
  end
end
return result
