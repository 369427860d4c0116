#!lua
-- release_email: undoes a claim_emails claim whose user could not be written, if
-- the email still points at that customer.
-- KEYS[1] directory emails hash
-- ARGV[1] email, ARGV[2] customer id
-- Reply: {code, detail}
local emails = KEYS[1]

if redis.call('HGET', emails, ARGV[1]) ~= ARGV[2] then
  return {'NOT_FOUND', ARGV[1] .. ' is not claimed by customer ' .. ARGV[2]}
end
redis.call('HDEL', emails, ARGV[1])
return {'OK', ''}
