#!lua
-- create_invitation: stores a new invitation, indexes it under its customer and
-- audits it. With an idempotency key it remembers the invitation's id under the
-- key; when the key is already known it changes nothing and returns that id.
-- KEYS[1] invitation hash, KEYS[2] customer's invitations zset,
-- KEYS[3] customer's users hash, KEYS[4] customer's audit stream,
-- KEYS[5] the relationship hash of this customer and partner,
-- KEYS[6] idempotency key string (given only when ARGV[8] is not '0')
-- ARGV[1] invitation id, ARGV[2] recipient email, ARGV[3] created_at ms,
-- ARGV[4] partner id, ARGV[5] audit detail, ARGV[6] client IP, ARGV[7] user agent,
-- ARGV[8] idempotency key lifetime in ms ('0': no key),
-- ARGV[9] relationship type, ARGV[10..] invitation field/value pairs
-- Reply: {code, detail}; for a known idempotency key {'OK', 'existing', id};
-- when the relationship already has this type
-- {'RELATED', detail, customer id, partner id, types, since ms}
local inv = KEYS[1]
local invs = KEYS[2]
local users = KEYS[3]
local audit = KEYS[4]
local rel = KEYS[5]
local idem = KEYS[6]

-- include: related

if ARGV[8] ~= '0' then
  local existing = redis.call('GET', idem)
  if existing then
    return {'OK', 'existing', existing}
  end
end
if redis.call('HEXISTS', users, ARGV[2]) == 0 then
  return {'UNKNOWN_RECIPIENT', ARGV[2]}
end
local related = related_refusal(rel, ARGV[9])
if related then
  return related
end
if redis.call('EXISTS', inv) == 1 then
  return {'EXISTS', 'invitation ' .. ARGV[1] .. ' exists'}
end

redis.call('HSET', inv, unpack(ARGV, 10))
redis.call('ZADD', invs, ARGV[3], ARGV[1])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[3], 'action', 'invitation.created', 'actor', ARGV[4],
  'partner_id', ARGV[4], 'invitation_id', ARGV[1], 'ip', ARGV[6], 'user_agent', ARGV[7],
  'detail', ARGV[5])
if ARGV[8] ~= '0' then
  redis.call('SET', idem, ARGV[1], 'PX', ARGV[8])
end
return {'OK', ''}
