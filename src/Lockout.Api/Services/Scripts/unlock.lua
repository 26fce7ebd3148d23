-- An admin unlocks: clear the lock and the failures, and append the UNLOCKED event to the outbox in the
-- same atomic step. Always emits, even when Redis knows no lock: the database may hold one Redis lost.
-- KEYS: state, failures, outbox
-- ARGV: shift_ms, event_id, username, traceparent, bucket, outbox_capacity
-- Returns the decision's version, or -1 when the outbox is full (nothing was changed).
local now = now_ms(ARGV[1])
if outbox_full(KEYS[3], ARGV[6]) then
  return -1
end
local version = next_version(KEYS[1], now)
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[1], 'locked', 'lockedAt', 'lockedUntil', 'attempts')
redis.call('HSET', KEYS[1], 'version', int(version))
-- Kept until a login sees the row unlocked: a login that reads the database before the writer has applied
-- this unlock must find Redis's decision newer than the row's lock, however long the broker is away.
keep_until_applied(KEYS[1], version)
append_event(KEYS[3], ARGV[5],
  'eventId', ARGV[2], 'type', 'UNLOCKED', 'username', ARGV[3], 'occurredAt', int(now),
  'attempts', '0', 'version', int(version), 'lockedUntil', '0', 'traceparent', ARGV[4])
return version
