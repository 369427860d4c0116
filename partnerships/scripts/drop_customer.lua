#!lua
-- drop_customer: removes a customer whose directory claim was refused, so it never
-- becomes visible. Only a customer with exactly this id is removed.
-- KEYS[1] customer hash, KEYS[2] customer's users hash
-- ARGV[1] customer id
-- Reply: {code, detail}
local customer = KEYS[1]
local users = KEYS[2]

if redis.call('HGET', customer, 'id') ~= ARGV[1] then
  return {'NOT_FOUND', 'customer ' .. ARGV[1]}
end
redis.call('DEL', customer)
redis.call('DEL', users)
return {'OK', ''}
