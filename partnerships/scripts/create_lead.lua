#!lua
-- create_lead: stores a lead for the partners it names, each of which must be
-- listed in the directory.
-- KEYS[1] lead hash, KEYS[2..] the partners' hashes
-- ARGV[1] lead id, ARGV[2] lifetime ms, ARGV[3..] lead field/value pairs
-- Reply: {code, detail}
local lead = KEYS[1]

for i = 2, #KEYS do
  if redis.call('HGET', KEYS[i], 'listed') ~= '1' then
    return {'NOT_FOUND', 'partner ' .. i - 1 .. ' is not in the directory'}
  end
end
if redis.call('EXISTS', lead) == 1 then
  return {'EXISTS', 'lead ' .. ARGV[1] .. ' exists'}
end

redis.call('HSET', lead, unpack(ARGV, 3))
redis.call('PEXPIRE', lead, ARGV[2])
return {'OK', ''}
