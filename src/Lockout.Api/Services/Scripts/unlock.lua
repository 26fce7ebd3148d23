-- An admin unlocks: clear the lock and the failures, and append the UNLOCKED event to the outbox in the
-- same atomic step. Always emits, even when Redis knows no lock: the database may hold one Redis lost.
-- KEYS: state, failures, outbox
-- ARGV: now_ms, event_id, username, traceparent, state_retention_ms
-- Returns the decision's version.
local now = tonumber(ARGV[1])
local version = next_version(KEYS[1], now)
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[1], 'locked', 'lockedAt', 'lockedUntil', 'attempts')
redis.call('HSET', KEYS[1], 'version', int(version))
-- The version outlives the lock for a while: a login that reads the database before the writer has
-- applied this unlock sees that Redis knows a newer decision than the row's.
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[5]))
redis.call('XADD', KEYS[3], '*',
  'eventId', ARGV[2], 'type', 'UNLOCKED', 'username', ARGV[3], 'occurredAt', int(now),
  'attempts', '0', 'version', int(version), 'lockedUntil', '0', 'traceparent', ARGV[4])
return version
