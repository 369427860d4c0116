#!lua
-- start_session: starts a portal session, consuming the sign-in token that asked
-- for it (when one did) in the same step, so a sign-in link works once.
--
-- KEYS[1] used sign-in token marker (string)   KEYS[2] the new session hash
-- ARGV[1] token id ('' when no token is consumed: a session after accepting)
-- ARGV[2] marker TTL ms (the token's remaining life)
-- ARGV[3] session TTL ms   ARGV[4] customer id   ARGV[5] email   ARGV[6] role
-- ARGV[7] now ms
-- Reply: {code, detail} or {'OK', ''}
if ARGV[1] ~= '' and redis.call('EXISTS', KEYS[1]) == 1 then
  return {'USED', 'sign-in link ' .. ARGV[1] .. ' was used'}
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'EXISTS', 'session exists'}
end

-- Writes.
if ARGV[1] ~= '' then
  redis.call('SET', KEYS[1], ARGV[7], 'PX', ARGV[2])
end
redis.call('HSET', KEYS[2], 'customer_id', ARGV[4], 'email', ARGV[5], 'role', ARGV[6],
  'created_at', ARGV[7])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {'OK', ''}
