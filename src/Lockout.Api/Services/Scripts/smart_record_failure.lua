-- Smart mode: settles a reserved attempt whose password was wrong. The source's failure that fills its budget
-- blocks it for this account (a temporary block one level longer than its last, appended as SOURCE_BLOCKED);
-- the unfamiliar failure that reaches the account-wide cap locks the account to unfamiliar sources (LOCKED,
-- with its level). Each decision and its event are written in this one atomic step.
-- KEYS: state, failures, leases, outbox, blocks, familiar, wrong
-- ARGV after the common five: per_source_max, failure_window_ms, lease_member, known_user (1/0),
--   unknown_user_retention_ms, source, account_cap, cap_window_ms, wrong_tag ('' = none), levels_ms (csv),
--   level_reset_ms, block_event_id
-- Returns { status (0 counted, 1 account locked now, 2 refused meanwhile, 3 source blocked now), failures,
--   ends_in_ms (0 = until lifted), level }
local acct = account(KEYS, ARGV)
local blocks, familiar_key, wrong = KEYS[5], KEYS[6], KEYS[7]
local now = acct.now
local per_source_max, window = tonumber(ARGV[6]), tonumber(ARGV[7])
local member, source = ARGV[8], ARGV[11]
local cap, cap_window = tonumber(ARGV[12]), tonumber(ARGV[13])
local levels, reset = ARGV[15], ARGV[16]
local familiar = string.sub(member, 1, 1) == 'f'

redis.call('ZREM', acct.leases, member)
local lock = current_lock(acct, true)
local block = read_block(blocks, source)
if (lock and not familiar) or is_blocked(block, now) then
  return { 2, 0, 0, 0 }
end

redis.call('ZADD', acct.failures, now, member)
redis.call('PEXPIRE', acct.failures, math.max(window, cap_window))
if ARGV[14] ~= '' then
  redis.call('ZREMRANGEBYSCORE', wrong, '-inf', now - window)
  redis.call('ZADD', wrong, now, ARGV[14])
  redis.call('PEXPIRE', wrong, window)
end

local source_failed, unfamiliar_failed = count_failures(acct.failures, source,
  math.max(now - window, block and block.at or 0), last_success(familiar_key, source), now - cap_window)
local status, failures, till, level = 0, source_failed, 0, 0

if source_failed >= per_source_max then
  level = next_level(block and block.level, block and block.at, now, reset)
  local duration = level_duration(levels, level)
  till = duration > 0 and now + duration or 0
  redis.call('HSET', blocks, source, int(level) .. '|' .. int(till) .. '|' .. int(now))
  keep_blocks(blocks, duration, reset, now)
  append_event(acct.outbox, acct.bucket,
    'eventId', ARGV[17], 'type', 'SOURCE_BLOCKED', 'username', acct.username, 'source', source,
    'occurredAt', int(now), 'attempts', int(source_failed), 'version', int(now), 'lockedUntil', int(till),
    'level', int(level), 'traceparent', acct.traceparent)
  status = 3
end

if not familiar and unfamiliar_failed >= cap and not lock then
  local state = redis.call('HMGET', acct.state, 'level', 'levelAt')
  level = next_level(tonumber(state[1] or '0'), tonumber(state[2] or '0'), now, reset)
  local duration = level_duration(levels, level)
  till = duration > 0 and now + duration or 0
  redis.call('HSET', acct.state, 'level', int(level), 'levelAt', int(now))
  lock_account(acct, unfamiliar_failed, till, ARGV[9], ARGV[10], { 'source', source, 'level', int(level) })
  status, failures = 1, unfamiliar_failed
end

return { status, failures, ends_in(till, now), level }
