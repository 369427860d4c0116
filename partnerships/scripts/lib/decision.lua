-- decision_refusal: why an admin may not decide (accept or decline) an invitation
-- now, or nil and the deciding user's role. Shared by accept.lua and decline.lua so
-- the rule of who may decide, and when, is written once. It only reads.
-- users is the customer's users hash (a key the including script was given).
local function decision_refusal(users, id, presented, token, status, expires, decidedBy, email, now, customer)
  if token ~= presented then
    return {'SUPERSEDED', 'invitation ' .. id .. ': the presented link is not the latest one'}
  end
  if status == 'accepted' then
    return {'ACCEPTED', 'invitation ' .. id .. ' was accepted by ' .. tostring(decidedBy)}
  end
  if status ~= 'pending' and status ~= 'sent' then
    return {'NOT_OPEN', 'invitation ' .. id .. ' is ' .. tostring(status)}
  end
  if now >= tonumber(expires) then
    return {'EXPIRED', 'invitation ' .. id .. ' expired'}
  end
  local user = redis.call('HGET', users, email)
  if not user then
    return {'NOT_ADMIN', email .. ' is not a user of customer ' .. customer}
  end
  local role = cjson.decode(user).role
  if role ~= 'global_admin' and role ~= 'billing_admin' then
    return {'NOT_ADMIN', email .. ' has role ' .. tostring(role)}
  end
  return nil, role
end
