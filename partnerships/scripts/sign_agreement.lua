#!lua
-- sign_agreement: a customer admin signs the customer agreement for an existing
-- relationship, without an invitation. Every check runs before the first write,
-- so a refusal changes nothing.
--
-- KEYS[1] customer's users hash      KEYS[2] relationship hash
-- KEYS[3] acceptance the caller read (the new one when none)
-- KEYS[4] new acceptance hash        KEYS[5] customer's acceptances zset
-- KEYS[6] audit stream
-- ARGV[1] user's email   ARGV[2] now ms   ARGV[3] new acceptance id
-- ARGV[4] partner id     ARGV[5] customer id
-- ARGV[6] agreement version   ARGV[7] locale   ARGV[8] SHA-256 hex
-- ARGV[9] IP   ARGV[10] user agent   ARGV[11] acceptance id the caller read ('' none)
-- Reply: {code, detail} or {'OK', '', user role}
local users = KEYS[1]
local rel = KEYS[2]
local cur = KEYS[3]
local acc = KEYS[4]
local accs = KEYS[5]
local audit = KEYS[6]

-- include: admin
-- include: signed

local refusal, role = admin_refusal(users, ARGV[1], ARGV[5])
if refusal then
  return refusal
end
refusal = signed_refusal(rel, cur, ARGV[11], ARGV[6], ARGV[4])
if refusal then
  return refusal
end
if redis.call('EXISTS', acc) == 1 then
  return {'EXISTS', 'acceptance ' .. ARGV[3] .. ' exists'}
end

-- Writes.
redis.call('HSET', acc, 'id', ARGV[3], 'customer_id', ARGV[5], 'partner_id', ARGV[4],
  'invitation_id', '', 'agreement_version', ARGV[6], 'agreement_locale', ARGV[7],
  'agreement_sha256', ARGV[8], 'user_email', ARGV[1], 'user_role', role,
  'accepted_at', ARGV[2], 'ip', ARGV[9], 'user_agent', ARGV[10])
redis.call('ZADD', accs, ARGV[2], ARGV[3])
redis.call('HSET', rel, 'acceptance_id', ARGV[3], 'updated_at', ARGV[2])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[2], 'action', 'agreement.signed', 'actor', ARGV[1],
  'partner_id', ARGV[4], 'ip', ARGV[9], 'user_agent', ARGV[10],
  'detail', 'acceptance_id=' .. ARGV[3] .. ' version=' .. ARGV[6] .. ' locale=' .. ARGV[7] ..
    ' sha256=' .. ARGV[8] .. ' user_role=' .. role)
return {'OK', '', role}
