#!lua
-- create_partner: stores a new partner with its first API key digest and indexes
-- its contact email (the first partner with an address keeps it in the index).
-- KEYS[1] partner hash, KEYS[2] partners zset, KEYS[3] API key index hash,
-- KEYS[4] contact email index hash
-- ARGV[1] partner id, ARGV[2] name, ARGV[3] contact email, ARGV[4] created_at ms,
-- ARGV[5] SHA-256 hex of the API key
-- Reply: {code, detail}
local partner = KEYS[1]
local partners = KEYS[2]
local apikeys = KEYS[3]
local contacts = KEYS[4]

if redis.call('EXISTS', partner) == 1 then
  return {'EXISTS', 'partner ' .. ARGV[1] .. ' exists'}
end
if redis.call('HEXISTS', apikeys, ARGV[5]) == 1 then
  return {'EXISTS', 'API key digest is in use'}
end

redis.call('HSET', partner, 'id', ARGV[1], 'name', ARGV[2], 'contact_email', ARGV[3],
  'created_at', ARGV[4], 'api_keys', ARGV[5])
redis.call('ZADD', partners, ARGV[4], ARGV[1])
redis.call('HSET', apikeys, ARGV[5], ARGV[1])
redis.call('HSETNX', contacts, ARGV[3], ARGV[1])
return {'OK', ''}
