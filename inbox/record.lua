-- Records the outcome of one message unless one is recorded already, and keeps
-- the per-UIDVALIDITY hash alive for another TTL. Returns the outcome that holds:
-- the first one recorded wins.
-- KEYS[1] done hash   ARGV[1] uid   ARGV[2] "<decision>\t<reason>"   ARGV[3] TTL seconds
local set = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
if set == 1 then
  return ARGV[2]
end
return redis.call('HGET', KEYS[1], ARGV[1])
