-- gcra: one rate-limit decision by the generic cell rate algorithm.
-- The key holds the subject's "theoretical arrival time" (TAT, unix microseconds):
-- when its budget would be whole again. A request costs one emission interval;
-- it is allowed when, after paying, the TAT is at most burst intervals ahead of now.
-- A refusal writes nothing. The time comes from the caller (no TIME here), and the
-- key expires by itself once the TAT has passed: an absent key is a full budget.
--
-- KEYS[1] the subject's key
-- ARGV[1] now (unix µs)   ARGV[2] emission interval (µs, >= 1)   ARGV[3] burst (>= 1)
-- Reply: {allowed 1|0, remaining, retry after (µs)}
local key = KEYS[1]
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])

local tat = tonumber(redis.call('GET', key) or now)
if tat < now then
	tat = now
end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if now < allow_at then
	return {0, 0, allow_at - now}
end
-- %.0f: tostring would print large numbers as 1.7e+15 and lose microseconds.
redis.call('SET', key, string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return {1, math.floor((now - allow_at) / interval), 0}
