#!lua
-- lift_suppression: an operator lets a suppressed address receive mail again; its
-- hard bounce count starts over and the reason (a complaint) is forgotten. Not
-- suppressed: no change, NOT_FOUND.
-- KEYS[1] hard bounce counts hash, KEYS[2] suppressed zset, KEYS[3] suppression reasons hash
-- ARGV[1] email
-- Reply: {code, detail}
local counts = KEYS[1]
local suppressed = KEYS[2]
local reasons = KEYS[3]

if not redis.call('ZSCORE', suppressed, ARGV[1]) then
  return {'NOT_FOUND', ARGV[1] .. ' is not suppressed'}
end
redis.call('ZREM', suppressed, ARGV[1])
redis.call('HDEL', counts, ARGV[1])
redis.call('HDEL', reasons, ARGV[1])
return {'OK', ''}
