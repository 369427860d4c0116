#!lua
-- request_agreement: a partner asks a customer to sign the customer agreement for
-- their existing relationship; audited as agreement.requested. A refusal changes
-- nothing.
--
-- KEYS[1] relationship hash   KEYS[2] acceptance the caller read (any key of the
-- slot when none)             KEYS[3] audit stream
-- ARGV[1] partner id   ARGV[2] now ms   ARGV[3] agreement version
-- ARGV[4] acceptance id the caller read ('' none)   ARGV[5] IP   ARGV[6] user agent
-- Reply: {code, detail} or {'OK', ''}

local rel = KEYS[1]
local cur = KEYS[2]
local audit = KEYS[3]

-- include: signed

local refusal = signed_refusal(rel, cur, ARGV[4], ARGV[3], ARGV[1])
if refusal then
  return refusal
end

-- Writes.
redis.call('XADD', audit, 'MAXLEN', '~', 10000, '*',
  'at', ARGV[2], 'action', 'agreement.requested', 'actor', ARGV[1],
  'partner_id', ARGV[1], 'ip', ARGV[5], 'user_agent', ARGV[6],
  'detail', 'version=' .. ARGV[3])
return {'OK', ''}
