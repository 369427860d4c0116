#!lua
-- create_lead: stores a lead for the partners it names, each of which must be
-- listed in the directory.
-- KEYS[1] lead hash, KEYS[2] listed partners zset
-- ARGV[1] lead id, ARGV[2] lifetime ms, ARGV[3] number of partners n,
-- ARGV[4..3+n] partner ids, ARGV[4+n..] lead field/value pairs
-- Reply: {code, detail}
local lead = KEYS[1]
local listed = KEYS[2]

local n = tonumber(ARGV[3])
for i = 4, 3 + n do
  if not redis.call('ZSCORE', listed, ARGV[i]) then
    return {'NOT_FOUND', 'partner ' .. ARGV[i] .. ' is not in the directory'}
  end
end
if redis.call('EXISTS', lead) == 1 then
  return {'EXISTS', 'lead ' .. ARGV[1] .. ' exists'}
end

redis.call('HSET', lead, unpack(ARGV, 4 + n))
redis.call('PEXPIRE', lead, ARGV[2])
return {'OK', ''}
