#!lua
-- revoke_invitation: the partner withdraws its own open invitation: pending or
-- sent → revoked, audited. Another partner's invitation is as unknown as none.
-- Any other status: no change, NOT_OPEN.
-- KEYS[1] invitation hash, KEYS[2] customer's audit stream
-- ARGV[1] invitation id, ARGV[2] partner id, ARGV[3] now ms, ARGV[4] IP,
-- ARGV[5] user agent
-- Reply: {code, detail, invitation fields (HGETALL)}
local inv = KEYS[1]
local audit = KEYS[2]

local f = redis.call('HMGET', inv, 'partner_id', 'status')
if not f[1] or f[1] ~= ARGV[2] then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
if f[2] ~= 'pending' and f[2] ~= 'sent' then
  return {'NOT_OPEN', 'invitation ' .. ARGV[1] .. ' is ' .. tostring(f[2]), redis.call('HGETALL', inv)}
end

redis.call('HSET', inv, 'status', 'revoked', 'decided_at', ARGV[3], 'decided_by', ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'invitation.revoked', 'actor', ARGV[2],
  'partner_id', ARGV[2], 'invitation_id', ARGV[1], 'ip', ARGV[4], 'user_agent', ARGV[5],
  'detail', 'was ' .. f[2])
return {'OK', '', redis.call('HGETALL', inv)}
