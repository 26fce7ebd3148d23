-- An admin unlocks: clear the lock, the failures and the lock level, and append the UNLOCKED event to the
-- outbox in the same atomic step. Always emits, even when Redis knows no lock: the database may hold one Redis
-- lost.
-- ARGV after the common five: outbox_capacity, operator
-- Returns the decision's version, or -1 when the outbox is full (nothing was changed).
local acct = account(KEYS, ARGV)
if outbox_full(acct.outbox, ARGV[6]) then
  return -1
end
local version = next_version(acct.state, acct.now)
redis.call('DEL', acct.failures)
redis.call('HDEL', acct.state, 'locked', 'lockedAt', 'lockedUntil', 'attempts', 'level', 'levelAt')
redis.call('HSET', acct.state, 'version', int(version))
-- Kept until a login sees the row unlocked: a login that reads the database before the writer has applied
-- this unlock must find Redis's decision newer than the row's lock, however long the broker is away.
keep_until_applied(acct.state, version)
append_event(acct.outbox, acct.bucket,
  'eventId', acct.event_id, 'type', 'UNLOCKED', 'username', acct.username, 'occurredAt', int(acct.now),
  'attempts', '0', 'version', int(version), 'lockedUntil', '0', 'traceparent', acct.traceparent, 'operator', ARGV[7])
return version
