#!lua
-- remind: records reminder ARGV[2] of a sent, unexpired invitation whose recipient
-- did not stop reminders: reminded = ARGV[2], audited. A reminder recorded before
-- (this one or a later one) is refused, so a task delivered twice sends once.
-- KEYS[1] invitation hash, KEYS[2] customer's audit stream
-- ARGV[1] invitation id, ARGV[2] reminder number (1 …), ARGV[3] now ms
-- Reply: {code, detail, invitation fields (HGETALL)}
local inv = KEYS[1]
local audit = KEYS[2]

if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
local f = redis.call('HMGET', inv, 'status', 'expires_at', 'reminded', 'reminders_stopped', 'partner_id')
local status, expires, reminded, stopped, partner = f[1], tonumber(f[2]), tonumber(f[3]) or 0, f[4], f[5] or ''
local n, now = tonumber(ARGV[2]), tonumber(ARGV[3])
if status ~= 'sent' then
  return {'NOT_OPEN', 'invitation ' .. ARGV[1] .. ' is ' .. tostring(status), redis.call('HGETALL', inv)}
end
if not expires or now >= expires then
  return {'EXPIRED', 'invitation ' .. ARGV[1] .. ' expired', redis.call('HGETALL', inv)}
end
if stopped == '1' then
  return {'STOPPED', 'invitation ' .. ARGV[1] .. ': the recipient stopped reminders', redis.call('HGETALL', inv)}
end
if reminded >= n then
  return {'REMINDED', 'invitation ' .. ARGV[1] .. ' had reminder ' .. reminded, redis.call('HGETALL', inv)}
end

redis.call('HSET', inv, 'reminded', ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'invitation.reminded', 'actor', 'system',
  'partner_id', partner, 'invitation_id', ARGV[1],
  'ip', '', 'user_agent', '', 'detail', 'reminder=' .. ARGV[2])
return {'OK', '', redis.call('HGETALL', inv)}
