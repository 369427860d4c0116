#!lua
-- expire_invitation: an open (pending or sent) invitation past its expiry becomes
-- expired, audited as invitation.expired by "system". Not open: NOT_OPEN; expiry
-- still ahead (a resend moved it): NOT_DUE. Refusals change nothing.
-- KEYS[1] invitation hash, KEYS[2] customer's audit stream
-- ARGV[1] invitation id, ARGV[2] now ms
-- Reply: {code, detail, invitation fields (HGETALL)}
local inv = KEYS[1]
local audit = KEYS[2]

if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
local f = redis.call('HMGET', inv, 'status', 'expires_at', 'partner_id')
local status, expires, partner = f[1], tonumber(f[2]), f[3] or ''
if status ~= 'pending' and status ~= 'sent' then
  return {'NOT_OPEN', 'invitation ' .. ARGV[1] .. ' is ' .. tostring(status), redis.call('HGETALL', inv)}
end
if not expires or tonumber(ARGV[2]) < expires then
  return {'NOT_DUE', 'invitation ' .. ARGV[1] .. ' expires at ' .. tostring(f[2]), redis.call('HGETALL', inv)}
end

redis.call('HSET', inv, 'status', 'expired')
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[2], 'action', 'invitation.expired', 'actor', 'system',
  'partner_id', partner, 'invitation_id', ARGV[1],
  'ip', '', 'user_agent', '', 'detail', 'expires_at=' .. f[2])
return {'OK', '', redis.call('HGETALL', inv)}
