#!lua
-- accept: a customer admin accepts an invitation and signs the customer agreement.
-- Every check runs before the first write, so a refusal changes nothing; Redis runs
-- the script alone, so of any number of concurrent accepts exactly one succeeds.
--
-- KEYS[1] invitation hash          KEYS[2] customer's users hash
-- KEYS[3] new acceptance hash      KEYS[4] customer's acceptances zset
-- KEYS[5] relationship hash        KEYS[6] customer's partners zset
-- KEYS[7] customer's audit stream
-- ARGV[1] invitation id            ARGV[2] presented token id
-- ARGV[3] accepting user's email   ARGV[4] now ms
-- ARGV[5] new acceptance id        ARGV[6] partner id the caller read (for KEYS[5])
-- ARGV[7] customer id              ARGV[8] agreement version
-- ARGV[9] agreement locale         ARGV[10] agreement SHA-256 hex
-- ARGV[11] IP                      ARGV[12] user agent
-- ARGV[13] ends_at ms of a time-bound relationship ('0': open-ended)
-- ARGV[14] the invitation's duration ms the caller read (ARGV[13] follows from it)
-- Reply: {code, detail} or
--        {'OK', '', user role, relationship types, roles, since ms, updated_at ms,
--         ends_at ms, auto_extend, the customer's partner ids by since…}
--        (the partner ids spare the page after an accept a read of KEYS[6])
local inv = KEYS[1]
local users = KEYS[2]
local acc = KEYS[3]
local accs = KEYS[4]
local rel = KEYS[5]
local partners = KEYS[6]
local audit = KEYS[7]

local id, email, now = ARGV[1], ARGV[3], tonumber(ARGV[4])

-- include: decision

-- union merges two comma lists into one sorted comma list without duplicates.
local function union(a, b)
  local set, out = {}, {}
  for x in string.gmatch(a or '', '[^,]+') do set[x] = true end
  for x in string.gmatch(b or '', '[^,]+') do set[x] = true end
  for x in pairs(set) do out[#out + 1] = x end
  table.sort(out)
  return table.concat(out, ',')
end

-- Checks, in order. No write happens above the "Writes" line.
if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. id}
end
local f = redis.call('HMGET', inv, 'token_id', 'status', 'expires_at', 'partner_id',
  'type', 'roles', 'decided_by', 'duration', 'auto_extend')
local token, status, expires, partner, typ, roles, decidedBy = f[1], f[2], f[3], f[4], f[5], f[6], f[7]
local duration, autoExtend = f[8] or '0', f[9] or '0'
if ARGV[13] == '0' then
  autoExtend = '0'
end
if not status or not typ or not roles or not tonumber(expires) then
  -- Everything below the "Writes" line must be unable to fail half-way.
  return {'CORRUPT', 'invitation ' .. id .. ' lacks status, type, roles or expires_at'}
end
if partner ~= ARGV[6] then
  -- KEYS[5] was built from a partner id that is not this invitation's: refuse
  -- rather than write another relationship. Partner ids never change, so this
  -- only guards against a caller bug.
  return {'STALE', 'invitation ' .. id .. ' belongs to another partner'}
end
if duration ~= ARGV[14] then
  -- ARGV[13] was computed from another duration; durations never change, so this
  -- too only guards against a caller bug.
  return {'STALE', 'invitation ' .. id .. ' has duration ' .. duration}
end
local refusal, role = decision_refusal(users, id, ARGV[2], token, status, expires, decidedBy, email, now, ARGV[7])
if refusal then
  return refusal
end
if redis.call('EXISTS', acc) == 1 then
  return {'EXISTS', 'acceptance ' .. ARGV[5] .. ' exists'}
end

-- Writes.
redis.call('HSET', inv, 'status', 'accepted', 'decided_at', ARGV[4], 'decided_by', email,
  'acceptance_id', ARGV[5])

redis.call('HSET', acc, 'id', ARGV[5], 'customer_id', ARGV[7], 'partner_id', partner,
  'invitation_id', id, 'agreement_version', ARGV[8], 'agreement_locale', ARGV[9],
  'agreement_sha256', ARGV[10], 'user_email', email, 'user_role', role,
  'accepted_at', ARGV[4], 'ip', ARGV[11], 'user_agent', ARGV[12])
redis.call('ZADD', accs, ARGV[4], ARGV[5])

local r = redis.call('HMGET', rel, 'types', 'roles', 'since')
local types = union(r[1], typ)
local relRoles = union(r[2], roles)
local since = r[3] or ARGV[4]
redis.call('HSET', rel, 'customer_id', ARGV[7], 'partner_id', partner, 'types', types,
  'roles', relRoles, 'since', since, 'updated_at', ARGV[4], 'acceptance_id', ARGV[5],
  'ends_at', ARGV[13], 'auto_extend', autoExtend, 'expired_at', '0')
redis.call('ZADD', partners, 'NX', since, partner)

redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[4], 'action', 'invitation.accepted', 'actor', email,
  'partner_id', partner, 'invitation_id', id, 'ip', ARGV[11], 'user_agent', ARGV[12],
  'detail', 'type=' .. typ .. ' roles=' .. roles .. ' user_role=' .. role)
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[4], 'action', 'agreement.signed', 'actor', email,
  'partner_id', partner, 'invitation_id', id, 'ip', ARGV[11], 'user_agent', ARGV[12],
  'detail', 'acceptance_id=' .. ARGV[5] .. ' version=' .. ARGV[8] .. ' locale=' .. ARGV[9] ..
    ' sha256=' .. ARGV[10])

local out = {'OK', '', role, types, relRoles, since, ARGV[4], ARGV[13], autoExtend}
for _, p in ipairs(redis.call('ZRANGE', partners, 0, -1)) do
  out[#out + 1] = p
end
return out
