#!lua
-- suppress_complaint: a recipient reported partnerlink's mail as spam (an ARF
-- feedback report): the address is suppressed at once, with the reason. An
-- address already suppressed keeps its since and reason: a second report of the
-- same mail, or of another, changes nothing.
-- KEYS[1] suppressed zset, KEYS[2] suppression reasons hash
-- ARGV[1] email, ARGV[2] now ms, ARGV[3] reason
-- Reply: {'OK', '', newly suppressed (0 or 1)}
local suppressed = KEYS[1]
local reasons = KEYS[2]

if redis.call('ZSCORE', suppressed, ARGV[1]) then
  return {'OK', '', 0}
end
redis.call('ZADD', suppressed, ARGV[2], ARGV[1])
redis.call('HSET', reasons, ARGV[1], ARGV[3])
return {'OK', '', 1}
