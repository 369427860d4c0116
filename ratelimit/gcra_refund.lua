-- gcra_refund: gives back one request a gcra decision allowed, when the caller
-- did not use it after all (another limit refused the same request). The TAT
-- moves back one emission interval, never before now; at now the key goes, as
-- an absent key is a full budget. A subject without a key has nothing to give back.
--
-- KEYS[1] the subject's key
-- ARGV[1] now (unix µs)   ARGV[2] emission interval (µs, >= 1)
-- Reply: 1 when a request was given back, else 0
local key = KEYS[1]
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])

local tat = tonumber(redis.call('GET', key))
if not tat then
	return 0
end
local new_tat = tat - interval
if new_tat <= now then
	redis.call('DEL', key)
	return 1
end
redis.call('SET', key, string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return 1
