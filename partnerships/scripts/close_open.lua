#!lua
-- close_open: ends an open invitation for a reason the system learnt: the SMTP
-- server refused its email for good (failed), or a bounce came back (bounced).
-- Pending or sent → the new status with the reason, audited. Already in the new
-- status: no change, success when ARGV[6] is "1" (a bounce may arrive twice), else
-- NOT_OPEN. Any other status: no change, NOT_OPEN.
-- KEYS[1] invitation hash, KEYS[2] customer's audit stream
-- ARGV[1] invitation id, ARGV[2] reason, ARGV[3] now ms, ARGV[4] new status,
-- ARGV[5] audit action, ARGV[6] "1" if reaching the same status again is success
-- Reply: {code, detail, invitation fields (HGETALL)}
local inv = KEYS[1]
local audit = KEYS[2]

if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
local status = redis.call('HGET', inv, 'status')
local partner = redis.call('HGET', inv, 'partner_id') or ''
if status == ARGV[4] and ARGV[6] == '1' then
  return {'OK', 'already ' .. status, redis.call('HGETALL', inv)}
end
if status ~= 'pending' and status ~= 'sent' then
  return {'NOT_OPEN', 'invitation ' .. ARGV[1] .. ' is ' .. tostring(status), redis.call('HGETALL', inv)}
end

redis.call('HSET', inv, 'status', ARGV[4], 'failure_reason', ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', ARGV[5], 'actor', 'system',
  'partner_id', partner, 'invitation_id', ARGV[1],
  'ip', '', 'user_agent', '', 'detail', ARGV[2])
return {'OK', '', redis.call('HGETALL', inv)}
