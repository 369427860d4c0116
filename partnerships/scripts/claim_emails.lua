#!lua
-- claim_emails: points user emails at a customer in the directory index, all or
-- none, and lists the customer. An email already pointing at this customer is kept
-- (a retry completes an interrupted claim); one pointing at another customer
-- refuses the whole claim.
-- KEYS[1] directory emails hash, KEYS[2] directory customers zset
-- ARGV[1] customer id, ARGV[2] customer created_at ms, ARGV[3..] emails
-- Reply: {code, detail, fresh...}: fresh[i] is '1' when email i was unclaimed
-- before, '0' when this customer already held it.
local emails = KEYS[1]
local customers = KEYS[2]

local fresh = {}
for i = 3, #ARGV do
  local owner = redis.call('HGET', emails, ARGV[i])
  if owner and owner ~= ARGV[1] then
    return {'EXISTS', ARGV[i] .. ' is a user of another customer'}
  end
  if owner then
    fresh[#fresh + 1] = '0'
  else
    fresh[#fresh + 1] = '1'
  end
end

for i = 3, #ARGV do
  redis.call('HSET', emails, ARGV[i], ARGV[1])
end
redis.call('ZADD', customers, 'NX', ARGV[2], ARGV[1])
return {'OK', '', unpack(fresh)}
