#!lua
-- remove_roles: a customer admin removes every role a partner holds in the
-- customer's tenant. The relationship and its types stay. Every check runs before
-- the first write, so a refusal changes nothing.
--
-- KEYS[1] customer's users hash   KEYS[2] relationship hash   KEYS[3] audit stream
-- ARGV[1] acting user's email     ARGV[2] now ms              ARGV[3] partner id
-- ARGV[4] customer id             ARGV[5] IP                  ARGV[6] user agent
-- Reply: {code, detail} or {'OK', '', roles removed, types, since ms}
local users = KEYS[1]
local rel = KEYS[2]
local audit = KEYS[3]

-- include: admin

local refusal, role = admin_refusal(users, ARGV[1], ARGV[4])
if refusal then
  return refusal
end
if redis.call('EXISTS', rel) == 0 then
  return {'NOT_FOUND', 'no relationship with partner ' .. ARGV[3]}
end
local r = redis.call('HMGET', rel, 'roles', 'types', 'since')
local roles = r[1] or ''
if roles == '' then
  return {'NO_ROLES', 'partner ' .. ARGV[3] .. ' holds no roles'}
end

-- Writes.
redis.call('HSET', rel, 'roles', '', 'updated_at', ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[2], 'action', 'roles.removed', 'actor', ARGV[1],
  'partner_id', ARGV[3], 'ip', ARGV[5], 'user_agent', ARGV[6],
  'detail', 'roles=' .. roles .. ' user_role=' .. role)
return {'OK', '', roles, r[2] or '', r[3] or ''}
