-- An admin lifts a source's throttle: its failures are forgotten and THROTTLE_LIFTED is appended.
-- KEYS: source_failures, outbox
-- ARGV: shift_ms, event_id, source, traceparent, bucket, outbox_capacity, operator
-- Returns 1, or -1 when the outbox is full (nothing was changed).
local now = now_ms(ARGV[1])
if outbox_full(KEYS[2], ARGV[6]) then
  return -1
end
redis.call('DEL', KEYS[1])
append_event(KEYS[2], ARGV[5],
  'eventId', ARGV[2], 'type', 'THROTTLE_LIFTED', 'source', ARGV[3], 'occurredAt', int(now),
  'attempts', '0', 'version', int(now), 'lockedUntil', '0', 'traceparent', ARGV[4], 'operator', ARGV[7])
return 1
