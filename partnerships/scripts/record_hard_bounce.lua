#!lua
-- record_hard_bounce: counts one hard bounce of an address and suppresses the
-- address once it has bounced threshold times. Suppressed since the bounce that
-- reached the threshold; later bounces only count.
-- A bounce counts once per key (the invitation that bounced): recording the same
-- bounce again returns the count as it is.
-- KEYS[1] hard bounce counts hash, KEYS[2] suppressed zset, KEYS[3] counted set
-- ARGV[1] email, ARGV[2] threshold, ARGV[3] now ms, ARGV[4] bounce key
-- Reply: {'OK', '', count, suppressed (0 or 1)}
local counts = KEYS[1]
local suppressed = KEYS[2]
local counted = KEYS[3]

local threshold = tonumber(ARGV[2])
if not threshold or threshold < 1 then
  return {'INVALID', 'threshold ' .. tostring(ARGV[2])}
end

local n
if redis.call('SADD', counted, ARGV[1] .. ' ' .. ARGV[4]) == 1 then
  n = redis.call('HINCRBY', counts, ARGV[1], 1)
else
  n = tonumber(redis.call('HGET', counts, ARGV[1]) or '0')
end
local is = redis.call('ZSCORE', suppressed, ARGV[1])
if not is and n >= threshold then
  redis.call('ZADD', suppressed, ARGV[3], ARGV[1])
  is = ARGV[3]
end
local flag = 0
if is then
  flag = 1
end
return {'OK', '', n, flag}
