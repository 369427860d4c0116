#!lua
-- end_relationship: the partner ends its relationship with a customer. The
-- relationship hash is deleted (every type and role the partner held goes) and the
-- partner leaves the customer's partner list; what it was (types, roles, since) is
-- kept in the audit event relationship.ended. A later accepted invitation starts a
-- new relationship.
-- KEYS[1] relationship hash, KEYS[2] customer's partners zset, KEYS[3] audit stream
-- ARGV[1] customer id, ARGV[2] partner id, ARGV[3] now ms, ARGV[4] IP,
-- ARGV[5] user agent
-- Reply: {code, detail} or {'OK', '', types, roles, since ms}
local rel = KEYS[1]
local partners = KEYS[2]
local audit = KEYS[3]

local r = redis.call('HMGET', rel, 'types', 'roles', 'since', 'partner_id')
if not r[3] or r[4] ~= ARGV[2] then
  return {'NOT_FOUND', 'relationship ' .. ARGV[1] .. '–' .. ARGV[2]}
end

redis.call('DEL', rel)
redis.call('ZREM', partners, ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'relationship.ended', 'actor', ARGV[2],
  'partner_id', ARGV[2], 'invitation_id', '', 'ip', ARGV[4], 'user_agent', ARGV[5],
  'detail', 'types=' .. (r[1] or '') .. ' roles=' .. (r[2] or '') .. ' since_ms=' .. r[3])
return {'OK', '', r[1] or '', r[2] or '', r[3]}
