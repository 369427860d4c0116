#!lua
-- add_user: adds a user to an existing customer. Runs after claim_emails claimed the
-- email for this customer in the {directory} slot.
-- KEYS[1] customer hash, KEYS[2] customer's users hash
-- ARGV[1] customer id, ARGV[2] email, ARGV[3] CustomerUser JSON
-- Reply: {code, detail}
local customer = KEYS[1]
local users = KEYS[2]

if redis.call('EXISTS', customer) == 0 then
  return {'NOT_FOUND', 'customer ' .. ARGV[1]}
end
if redis.call('HEXISTS', users, ARGV[2]) == 1 then
  return {'EXISTS', ARGV[2] .. ' is already a user of customer ' .. ARGV[1]}
end

redis.call('HSET', users, ARGV[2], ARGV[3])
return {'OK', ''}
