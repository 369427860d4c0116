#!lua
-- mark_bounced: records that a bounce came back for an invitation's email: the
-- address does not take mail. Pending or sent → bounced. Already bounced: no
-- change, success (a bounce may arrive twice). Any other status: no change, NOT_OPEN.
-- KEYS[1] invitation hash, KEYS[2] customer's audit stream
-- ARGV[1] invitation id, ARGV[2] reason, ARGV[3] now ms
-- Reply: {code, detail, invitation fields (HGETALL)}
local inv = KEYS[1]
local audit = KEYS[2]

if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
local status = redis.call('HGET', inv, 'status')
local partner = redis.call('HGET', inv, 'partner_id') or ''
if status == 'bounced' then
  return {'OK', 'already bounced', redis.call('HGETALL', inv)}
end
if status ~= 'pending' and status ~= 'sent' then
  return {'NOT_OPEN', 'invitation ' .. ARGV[1] .. ' is ' .. tostring(status), redis.call('HGETALL', inv)}
end

redis.call('HSET', inv, 'status', 'bounced', 'failure_reason', ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'invitation.bounced', 'actor', 'system',
  'partner_id', partner, 'invitation_id', ARGV[1],
  'ip', '', 'user_agent', '', 'detail', ARGV[2])
return {'OK', '', redis.call('HGETALL', inv)}
