-- Shared by Smart mode's scripts, after the prelude. Smart mode counts an account's failures per source: the
-- members of its failures and leases sets are "<kind>|<source>|<lease>", kind u (unfamiliar source) or f
-- (familiar: it signed in to this account recently). KEYS after the common four: blocks, familiar, wrong.
--   blocks    hash  source -> "level|blocked_until|blocked_at" (until 0 = until an admin lifts it); the field
--                   "~permanent" marks that one block lasts until lifted, so the hash must not expire
--   familiar  hash  source -> when it last signed in
--   wrong     zset  keyed hash of a recent wrong password -> when it was tried

local function member_of(kind, source, lease)
  return kind .. '|' .. source .. '|' .. lease
end

local function parse_member(member)
  return string.match(member, '^(%a)|(.+)|[^|]+$')
end

local function read_block(blocks_key, source)
  local value = redis.call('HGET', blocks_key, source)
  if not value then
    return nil
  end
  local level, till, at = string.match(value, '^(%d+)|(%d+)|(%d+)$')
  return { level = tonumber(level), till = tonumber(till), at = tonumber(at) }
end

local function is_blocked(block, now)
  return block ~= nil and (block.till == 0 or block.till > now)
end

local function last_success(familiar_key, source)
  return tonumber(redis.call('HGET', familiar_key, source) or '0')
end

-- Counts, in one pass: the source's failures since it was last blocked or signed in (a failure in the same
-- millisecond as the sign-in counts; one at the block's moment does not), and unfamiliar failures since cap_since;
-- also returns the score of the oldest unfamiliar failure counted (when the cap frees a slot).
local function count_failures(failures_key, source, window_since, signed_in_at, cap_since)
  local rows = redis.call('ZRANGEBYSCORE', failures_key, math.min(window_since, cap_since), '+inf', 'WITHSCORES')
  local of_source, unfamiliar, oldest_unfamiliar = 0, 0, nil
  for i = 1, #rows, 2 do
    local kind, src = parse_member(rows[i])
    local at = tonumber(rows[i + 1])
    if src == source and at > window_since and at >= signed_in_at then
      of_source = of_source + 1
    end
    if kind == 'u' and at > cap_since then
      unfamiliar = unfamiliar + 1
      oldest_unfamiliar = oldest_unfamiliar or at
    end
  end
  return of_source, unfamiliar, oldest_unfamiliar
end

local function count_in_flight(leases_key, source, now)
  redis.call('ZREMRANGEBYSCORE', leases_key, '-inf', now)
  local of_source, unfamiliar = 0, 0
  for _, member in ipairs(redis.call('ZRANGE', leases_key, 0, -1)) do
    local kind, src = parse_member(member)
    if src == source then
      of_source = of_source + 1
    end
    if kind == 'u' then
      unfamiliar = unfamiliar + 1
    end
  end
  return of_source, unfamiliar
end

-- A block's record is kept for level_reset after it ends (so the next block is a level up), and for good while
-- any block on the account lasts until lifted.
local function keep_blocks(blocks_key, duration, reset_ms, now)
  if duration == 0 then
    redis.call('HSET', blocks_key, '~permanent', '1')
    redis.call('PERSIST', blocks_key)
  elseif redis.call('HEXISTS', blocks_key, '~permanent') == 0 then
    local wanted = duration + tonumber(reset_ms)
    if redis.call('PTTL', blocks_key) < wanted then
      redis.call('PEXPIRE', blocks_key, wanted)
    end
  end
end
