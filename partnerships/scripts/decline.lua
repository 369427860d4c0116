#!lua
-- decline: a customer admin cancels an invitation instead of accepting it. Every
-- check runs before the first write, so a refusal changes nothing, and an
-- invitation is decided (accepted or declined) at most once.
--
-- KEYS[1] invitation hash          KEYS[2] customer's users hash
-- KEYS[3] customer's audit stream
-- ARGV[1] invitation id            ARGV[2] presented token id
-- ARGV[3] declining user's email   ARGV[4] now ms
-- ARGV[5] customer id              ARGV[6] IP
-- ARGV[7] user agent
-- Reply: {code, detail} or {'OK', '', user role}
local inv = KEYS[1]
local users = KEYS[2]
local audit = KEYS[3]

local id, email, now = ARGV[1], ARGV[3], tonumber(ARGV[4])

-- include: decision

-- Checks, in order. No write happens above the "Writes" line.
if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. id}
end
local f = redis.call('HMGET', inv, 'token_id', 'status', 'expires_at', 'partner_id', 'decided_by')
local token, status, expires, partner, decidedBy = f[1], f[2], f[3], f[4], f[5]
if not status or not tonumber(expires) or not partner then
  return {'CORRUPT', 'invitation ' .. id .. ' lacks status, expires_at or partner_id'}
end
local refusal, role = decision_refusal(users, id, ARGV[2], token, status, expires, decidedBy, email, now, ARGV[5])
if refusal then
  return refusal
end

-- Writes.
redis.call('HSET', inv, 'status', 'declined', 'decided_at', ARGV[4], 'decided_by', email)
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[4], 'action', 'invitation.declined', 'actor', email,
  'partner_id', partner, 'invitation_id', id, 'ip', ARGV[6], 'user_agent', ARGV[7],
  'detail', 'user_role=' .. role)

return {'OK', '', role}
