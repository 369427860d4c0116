#!lua
-- resend_invitation: the partner sends its invitation again.
--
-- Open (pending or sent) and unexpired: the same invitation (same token id) gets a
-- later expiry, now + ARGV[4] but never beyond created_at + ARGV[5] (and never
-- earlier than it was), goes back to pending with sends + 1 and resent_at, so the
-- send job sends it again; audited as invitation.resent. Reply detail 'same'.
--
-- Expired (by status or by time), failed or bounced: a NEW invitation (ARGV[6],
-- token id ARGV[7]) with the same customer, email, type, roles, locale and message
-- is stored, indexed and audited as created; the old one records replaced_by (and
-- becomes expired if it was still open), audited as invitation.replaced. Reply
-- detail 'new'. Refused like create_invitation when the email is no longer a user
-- of the customer or the relationship already has the type.
--
-- Refusals, before any write: NOT_FOUND (none, or another partner's), REPLACED
-- (already replaced: {code, detail, newer id}), NOT_OPEN (accepted, declined,
-- revoked), UNKNOWN_RECIPIENT, RELATED, EXISTS.
--
-- KEYS[1] invitation hash          KEYS[2] new invitation hash
-- KEYS[3] customer's invitations zset
-- KEYS[4] customer's users hash    KEYS[5] relationship hash (customer, partner)
-- KEYS[6] customer's audit stream
-- ARGV[1] invitation id            ARGV[2] partner id
-- ARGV[3] now ms (whole seconds)   ARGV[4] invite TTL ms
-- ARGV[5] longest life ms (from created_at)
-- ARGV[6] new invitation id        ARGV[7] new token id
-- ARGV[8] IP                       ARGV[9] user agent
-- Reply: {code, detail, invitation fields (HGETALL) of the invitation to send}
local inv = KEYS[1]
local newinv = KEYS[2]
local invs = KEYS[3]
local users = KEYS[4]
local rel = KEYS[5]
local audit = KEYS[6]

-- include: related

local id, partner = ARGV[1], ARGV[2]
local now, ttl, maxAge = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])

local f = redis.call('HMGET', inv, 'partner_id', 'status', 'expires_at', 'created_at',
  'sends', 'replaced_by', 'email', 'type', 'roles', 'locale', 'message', 'customer_id')
if not f[1] or f[1] ~= partner then
  return {'NOT_FOUND', 'invitation ' .. id}
end
local status, expires, created = f[2], tonumber(f[3]), tonumber(f[4])
if not status or not expires or not created or not f[7] or not f[8] then
  return {'CORRUPT', 'invitation ' .. id .. ' lacks status, expires_at, created_at, email or type'}
end
if f[6] and f[6] ~= '' then
  return {'REPLACED', 'invitation ' .. id .. ' was replaced by ' .. f[6], f[6]}
end
local open = status == 'pending' or status == 'sent'

if open and now < expires then
  local newExp = math.min(now + ttl, created + maxAge)
  if newExp < expires then
    newExp = expires
  end
  local sends = (tonumber(f[5]) or 1) + 1
  local exp = string.format('%.0f', newExp)
  redis.call('HSET', inv, 'status', 'pending', 'expires_at', exp, 'sends', tostring(sends),
    'resent_at', ARGV[3])
  redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
    'at', ARGV[3], 'action', 'invitation.resent', 'actor', partner,
    'partner_id', partner, 'invitation_id', id, 'ip', ARGV[8], 'user_agent', ARGV[9],
    'detail', 'send=' .. sends .. ' expires_at_ms=' .. exp)
  return {'OK', 'same', redis.call('HGETALL', inv)}
end

if not open and status ~= 'expired' and status ~= 'failed' and status ~= 'bounced' then
  return {'NOT_OPEN', 'invitation ' .. id .. ' is ' .. status, redis.call('HGETALL', inv)}
end
if redis.call('HEXISTS', users, f[7]) == 0 then
  return {'UNKNOWN_RECIPIENT', f[7]}
end
local related = related_refusal(rel, f[8])
if related then
  return related
end
if redis.call('EXISTS', newinv) == 1 then
  return {'EXISTS', 'invitation ' .. ARGV[6] .. ' exists'}
end

-- Writes.
local exp = string.format('%.0f', now + ttl)
redis.call('HSET', newinv, 'id', ARGV[6], 'partner_id', partner, 'customer_id', f[12] or '',
  'email', f[7], 'type', f[8], 'roles', f[9] or '', 'locale', f[10] or '', 'message', f[11] or '',
  'status', 'pending', 'token_id', ARGV[7], 'message_id', '', 'failure_reason', '',
  'created_at', ARGV[3], 'sent_at', '0', 'expires_at', exp, 'decided_at', '0',
  'decided_by', '', 'acceptance_id', '', 'sends', '1', 'resent_at', '0', 'replaced_by', '',
  'replaces', id)
redis.call('ZADD', invs, ARGV[3], ARGV[6])
if open then
  redis.call('HSET', inv, 'status', 'expired', 'replaced_by', ARGV[6])
else
  redis.call('HSET', inv, 'replaced_by', ARGV[6])
end
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'invitation.replaced', 'actor', partner,
  'partner_id', partner, 'invitation_id', id, 'ip', ARGV[8], 'user_agent', ARGV[9],
  'detail', 'was ' .. status .. ' replaced_by=' .. ARGV[6])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'invitation.created', 'actor', partner,
  'partner_id', partner, 'invitation_id', ARGV[6], 'ip', ARGV[8], 'user_agent', ARGV[9],
  'detail', 'type=' .. f[8] .. ' roles=' .. (f[9] or '') .. ' expires_at_ms=' .. exp .. ' replaces=' .. id)
return {'OK', 'new', redis.call('HGETALL', newinv)}
