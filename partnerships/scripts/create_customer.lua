#!lua
-- create_customer: stores a new customer and its first admin user. The directory
-- index entries follow in a second step (claim_emails), in the {directory} slot.
-- KEYS[1] customer hash, KEYS[2] customer's users hash
-- ARGV[1] customer id, ARGV[2] name, ARGV[3] domain, ARGV[4] created_at ms,
-- ARGV[5] first admin's email, ARGV[6] first admin as CustomerUser JSON
-- Reply: {code, detail}
local customer = KEYS[1]
local users = KEYS[2]

if redis.call('EXISTS', customer) == 1 or redis.call('EXISTS', users) == 1 then
  return {'EXISTS', 'customer ' .. ARGV[1] .. ' exists'}
end

redis.call('HSET', customer, 'id', ARGV[1], 'name', ARGV[2], 'domain', ARGV[3], 'created_at', ARGV[4])
redis.call('HSET', users, ARGV[5], ARGV[6])
return {'OK', ''}
