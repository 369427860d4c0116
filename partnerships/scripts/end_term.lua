#!lua
-- end_term: the term of a time-bound relationship ends. With auto_extend its
-- ends_at moves to ARGV[5] (audited relationship.extended); otherwise its roles
-- are removed (audited relationship.expired). Both by "system". Refusals change
-- nothing: NOT_FOUND; STALE_ENTRY when its ends_at is no longer ARGV[3] (extended,
-- changed or made open-ended since the entry was written, or it already ended);
-- NOT_DUE before it.
-- KEYS[1] relationship hash, KEYS[2] customer's audit stream
-- ARGV[1] customer id, ARGV[2] partner id, ARGV[3] ends_at ms the entry names,
-- ARGV[4] now ms, ARGV[5] the extended ends_at ms
-- Reply: {code, detail ('extended' or 'expired'), relationship fields (HGETALL)}
local rel = KEYS[1]
local audit = KEYS[2]

if redis.call('EXISTS', rel) == 0 then
  return {'NOT_FOUND', 'relationship ' .. ARGV[1] .. '–' .. ARGV[2]}
end
local f = redis.call('HMGET', rel, 'ends_at', 'auto_extend', 'roles', 'expired_at')
if f[1] ~= ARGV[3] or (tonumber(f[4]) or 0) > 0 then
  return {'STALE_ENTRY', 'relationship ' .. ARGV[1] .. '–' .. ARGV[2] .. ' ends at ' .. tostring(f[1])}
end
if tonumber(ARGV[4]) < tonumber(ARGV[3]) then
  return {'NOT_DUE', 'relationship ' .. ARGV[1] .. '–' .. ARGV[2] .. ' ends at ' .. ARGV[3]}
end

if f[2] == '1' then
  redis.call('HSET', rel, 'ends_at', ARGV[5], 'updated_at', ARGV[4])
  redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
    'at', ARGV[4], 'action', 'relationship.extended', 'actor', 'system',
    'partner_id', ARGV[2], 'invitation_id', '', 'ip', '', 'user_agent', '',
    'detail', 'ends_at=' .. ARGV[5])
  return {'OK', 'extended', redis.call('HGETALL', rel)}
end
redis.call('HSET', rel, 'roles', '', 'expired_at', ARGV[4], 'updated_at', ARGV[4])
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[4], 'action', 'relationship.expired', 'actor', 'system',
  'partner_id', ARGV[2], 'invitation_id', '', 'ip', '', 'user_agent', '',
  'detail', 'roles_removed=' .. (f[3] or ''))
return {'OK', 'expired', redis.call('HGETALL', rel)}
