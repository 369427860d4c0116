#!lua
-- set_request_secret: gives a partner a new secret request address, retiring the
-- previous one.
-- KEYS[1] partner hash, KEYS[2] request secret index hash
-- ARGV[1] partner id, ARGV[2] SHA-256 hex of the new secret
-- Reply: {code, detail}
local partner = KEYS[1]
local secrets = KEYS[2]

if redis.call('EXISTS', partner) == 0 then
  return {'NOT_FOUND', 'partner ' .. ARGV[1]}
end
if redis.call('HEXISTS', secrets, ARGV[2]) == 1 then
  return {'EXISTS', 'request secret digest is in use'}
end

local old = redis.call('HGET', partner, 'request_secret')
if old and old ~= '' then
  redis.call('HDEL', secrets, old)
end
redis.call('HSET', partner, 'request_secret', ARGV[2])
redis.call('HSET', secrets, ARGV[2], ARGV[1])
return {'OK', ''}
