#!lua
-- mark_sent: records that an invitation's email was handed to SMTP: pending → sent.
-- Already sent: no change, success (the send job may run twice). Any other status:
-- no change, NOT_OPEN, so the caller does not send.
-- KEYS[1] invitation hash, KEYS[2] customer's audit stream
-- ARGV[1] invitation id, ARGV[2] Message-ID, ARGV[3] now ms,
-- ARGV[4] '1': reply without the invitation (RecordSent)
-- Reply: {code, detail, invitation fields (HGETALL)}, or {code, detail} with ARGV[4] '1'
local inv = KEYS[1]
local audit = KEYS[2]
local function fields()
  if ARGV[4] == '1' then
    return nil
  end
  return redis.call('HGETALL', inv)
end

if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
local status = redis.call('HGET', inv, 'status')
local partner = redis.call('HGET', inv, 'partner_id') or ''
if status == 'sent' then
  return {'OK', 'already sent', fields()}
end
if status ~= 'pending' then
  return {'NOT_OPEN', 'invitation ' .. ARGV[1] .. ' is ' .. tostring(status), fields()}
end

redis.call('HSET', inv, 'status', 'sent', 'sent_at', ARGV[3], 'message_id', ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'invitation.sent', 'actor', 'system',
  'partner_id', partner, 'invitation_id', ARGV[1],
  'ip', '', 'user_agent', '', 'detail', 'message_id=' .. ARGV[2])
return {'OK', '', fields()}
