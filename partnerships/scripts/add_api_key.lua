#!lua
-- add_api_key: gives an existing partner one more API key.
-- KEYS[1] partner hash, KEYS[2] API key index hash
-- ARGV[1] partner id, ARGV[2] SHA-256 hex of the new API key
-- Reply: {code, detail}
local partner = KEYS[1]
local apikeys = KEYS[2]

if redis.call('EXISTS', partner) == 0 then
  return {'NOT_FOUND', 'partner ' .. ARGV[1]}
end
if redis.call('HEXISTS', apikeys, ARGV[2]) == 1 then
  return {'EXISTS', 'API key digest is in use'}
end

local list = redis.call('HGET', partner, 'api_keys')
if list and list ~= '' then
  list = list .. ',' .. ARGV[2]
else
  list = ARGV[2]
end
redis.call('HSET', partner, 'api_keys', list)
redis.call('HSET', apikeys, ARGV[2], ARGV[1])
return {'OK', ''}
