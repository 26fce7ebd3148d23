-- A login has read the account's row: once the row shows the pending decision (or there is no row, so
-- nothing in the database can undo it), the decision no longer needs to be kept and may expire.
-- KEYS: state
-- ARGV: row_version (-1 when there is no such user), state_retention_ms
local pending = tonumber(redis.call('HGET', KEYS[1], 'pending') or '0')
local row = tonumber(ARGV[1])
if pending > 0 and (row < 0 or row >= pending) then
  redis.call('HDEL', KEYS[1], 'pending')
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0
