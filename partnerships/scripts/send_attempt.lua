#!lua
-- send_attempt: records in the invitation that the worker is about to hand its
-- email, Message-ID ARGV[2], to SMTP, and tells what earlier attempts left.
-- "accepted": the invitation is sent with this Message-ID (mark_sent wrote it
-- after the server's 250), nothing is recorded. "not_open": the invitation is no
-- longer pending (revoked, accepted, sent by another task… since the worker read
-- it), nothing is recorded and nothing must be sent. Otherwise the attempt is
-- counted.
-- "stale": ARGV[4] names the send the Message-ID was made for, and the
-- invitation has been resent since (its sends count differs): nothing is
-- recorded; the caller records again with the current send's Message-ID.
-- KEYS[1] invitation hash
-- ARGV[1] invitation id, ARGV[2] Message-ID, ARGV[3] now ms,
-- ARGV[4] (optional) the invitation's sends count the Message-ID is for
-- Reply: {'OK', state before ('' | 'attempt' | 'accepted' | 'not_open' | 'stale'), attempts before}
local inv = KEYS[1]
if redis.call('EXISTS', inv) == 0 then
  return {'NOT_FOUND', 'invitation ' .. ARGV[1]}
end
local f = redis.call('HMGET', inv, 'status', 'message_id', 'attempt_message_id', 'attempt_count', 'sends')
local attempts = 0
local state = ''
if f[3] == ARGV[2] then
  attempts = tonumber(f[4] or '0') or 0
  state = 'attempt'
end
if f[1] == 'sent' and f[2] == ARGV[2] then
  return {'OK', 'accepted', tostring(attempts)}
end
if f[1] ~= 'pending' then
  return {'OK', 'not_open', tostring(attempts)}
end
if ARGV[4] and ARGV[4] ~= '' and f[5] ~= ARGV[4] then
  return {'OK', 'stale', tostring(attempts)}
end
redis.call('HSET', inv, 'attempt_message_id', ARGV[2], 'attempt_count', attempts + 1, 'attempt_at', ARGV[3])
return {'OK', state, tostring(attempts)}
