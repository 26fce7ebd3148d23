-- An admin lifts a source's block on an account (its level starts again) and SOURCE_UNBLOCKED is appended.
-- KEYS: state, failures, leases, outbox, blocks
-- ARGV after the common five: outbox_capacity, source, operator, level_reset_ms
-- Returns 1 when a block was lifted, 0 when the source was not blocked, -1 when the outbox is full.
local acct = account(KEYS, ARGV)
local blocks, source = KEYS[5], ARGV[7]
local block = read_block(blocks, source)
if not is_blocked(block, acct.now) then
  return 0
end
if outbox_full(acct.outbox, ARGV[6]) then
  return -1
end
redis.call('HDEL', blocks, source)
if block.till == 0 then
  -- Lift the never-expire mark when no other block lasts until lifted.
  local still_permanent = false
  local entries = redis.call('HGETALL', blocks)
  for i = 1, #entries, 2 do
    if entries[i] ~= '~permanent' and string.match(entries[i + 1], '^%d+|0|') then
      still_permanent = true
    end
  end
  if not still_permanent then
    redis.call('HDEL', blocks, '~permanent')
    redis.call('PEXPIRE', blocks, tonumber(ARGV[9]))
  end
end
append_event(acct.outbox, acct.bucket,
  'eventId', acct.event_id, 'type', 'SOURCE_UNBLOCKED', 'username', acct.username, 'source', source,
  'occurredAt', int(acct.now), 'attempts', '0', 'version', int(acct.now), 'lockedUntil', '0',
  'level', int(block.level), 'traceparent', acct.traceparent, 'operator', ARGV[8])
return 1
