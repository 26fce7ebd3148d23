-- Smart mode: reserves one verification for (account, source), or refuses: the account is locked to unfamiliar
-- sources, this source is blocked for the account, the password is one of the account's recent wrong ones (it is
-- answered 401 unverified and costs nothing), this source's budget or the account-wide cap on unfamiliar
-- sources is spoken for, or the event this attempt might cause would not fit in the outbox.
-- KEYS: state, failures, leases, outbox, blocks, familiar, wrong
-- ARGV after the common five: per_source_max, failure_window_ms, lease_ms, lease_id, outbox_capacity, source,
--   familiar_for_ms, account_cap, cap_window_ms, wrong_tag ('' = none)
-- Returns { status (0 reserved, 1 locked, 2 budget exhausted, 3 outbox full, 4 source blocked, 5 repeated wrong
--   password), failures, version, ends_in_ms (of the lock or block; 0 = until lifted), pending_version, retry_after_ms (when the cap frees a slot; 0 = none), familiar (0/1) }
local acct = account(KEYS, ARGV)
local blocks, familiar_key, wrong = KEYS[5], KEYS[6], KEYS[7]
local now = acct.now
local per_source_max, window = tonumber(ARGV[6]), tonumber(ARGV[7])
local source, cap, cap_window = ARGV[11], tonumber(ARGV[13]), tonumber(ARGV[14])

local signed_in_at = last_success(familiar_key, source)
local familiar = signed_in_at > 0 and now - signed_in_at <= tonumber(ARGV[12])
local familiar_flag = familiar and 1 or 0
local lock = current_lock(acct, true)
local state = redis.call('HMGET', acct.state, 'version', 'pending')
local version = tonumber(state[1] or '0')
local pending = tonumber(state[2] or '0')
if lock and not familiar then
  return { 1, lock[1], version, ends_in(lock[2], now), pending, 0, familiar_flag }
end

local block = read_block(blocks, source)
if is_blocked(block, now) then
  return { 4, 0, version, ends_in(block.till, now), pending, 0, familiar_flag }
end

if ARGV[15] ~= '' then
  local tried_at = redis.call('ZSCORE', wrong, ARGV[15])
  if tried_at and tonumber(tried_at) > now - window then
    return { 5, 0, version, 0, pending, 0, familiar_flag }
  end
end

redis.call('ZREMRANGEBYSCORE', acct.failures, '-inf', now - math.max(window, cap_window))
local source_failed, unfamiliar_failed, oldest_unfamiliar =
  count_failures(acct.failures, source, math.max(now - window, block and block.at or 0), signed_in_at, now - cap_window)
local source_in_flight, unfamiliar_in_flight = count_in_flight(acct.leases, source, now)

if source_failed + source_in_flight >= per_source_max then
  return { 2, source_failed, version, 0, pending, 0, familiar_flag }
end
if not familiar and unfamiliar_failed + unfamiliar_in_flight >= cap then
  local retry_after = oldest_unfamiliar and oldest_unfamiliar + cap_window - now or 0
  return { 2, unfamiliar_failed, version, 0, pending, math.max(retry_after, 0), familiar_flag }
end

local could_decide = source_failed + source_in_flight + 1 >= per_source_max
  or (not familiar and unfamiliar_failed + unfamiliar_in_flight + 1 >= cap)
if could_decide and outbox_full(acct.outbox, ARGV[10]) then
  return { 3, source_failed, version, 0, pending, 0, familiar_flag }
end

local member = member_of(familiar and 'f' or 'u', source, ARGV[9])
redis.call('ZADD', acct.leases, now + tonumber(ARGV[8]), member)
redis.call('PEXPIRE', acct.leases, tonumber(ARGV[8]))
return { 0, source_failed, version, 0, pending, 0, familiar_flag }
