#!lua
-- update_profile: changes a partner's directory profile and webhook, and adds it
-- to or removes it from the directory's listed set.
-- KEYS[1] partner hash, KEYS[2] listed partners zset
-- ARGV[1] partner id, ARGV[2] listed: '1', '0' or '' (unchanged), ARGV[3] now ms,
-- ARGV[4..] field/value pairs to set
-- Reply: {code, detail}
local partner = KEYS[1]
local listed = KEYS[2]

if redis.call('EXISTS', partner) == 0 then
  return {'NOT_FOUND', 'partner ' .. ARGV[1]}
end

if #ARGV >= 5 then
  redis.call('HSET', partner, unpack(ARGV, 4))
end
if ARGV[2] == '1' then
  redis.call('HSET', partner, 'listed', '1')
  redis.call('ZADD', listed, 'NX', ARGV[3], ARGV[1])
elseif ARGV[2] == '0' then
  redis.call('HSET', partner, 'listed', '0')
  redis.call('ZREM', listed, ARGV[1])
end
return {'OK', ''}
