#!lua
-- stop_reminders: the recipient of an invitation asks for no more reminders
-- (one-click link): reminders_stopped = 1, audited with the recipient as actor.
-- Already stopped: success, nothing changes. The invitation stays as it is.
-- KEYS[1] invitation hash, KEYS[2] customer's audit stream
-- ARGV[1] invitation id, ARGV[2] now ms, ARGV[3] IP, ARGV[4] user agent
-- Reply: {code, detail, invitation fields (HGETALL)}
local inv = KEYS[1]
local audit = KEYS[2]

if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
local f = redis.call('HMGET', inv, 'reminders_stopped', 'partner_id', 'email')
if f[1] == '1' then
  return {'OK', 'already', redis.call('HGETALL', inv)}
end

redis.call('HSET', inv, 'reminders_stopped', '1')
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[2], 'action', 'invitation.reminders_stopped', 'actor', f[3] or '',
  'partner_id', f[2] or '', 'invitation_id', ARGV[1],
  'ip', ARGV[3], 'user_agent', ARGV[4], 'detail', '')
return {'OK', '', redis.call('HGETALL', inv)}
