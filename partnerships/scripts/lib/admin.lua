-- admin_refusal: why email may not act for the customer (only a global or billing
-- administrator may), or nil and the user's role. It only reads.
-- users is the customer's users hash (a key the including script was given).
local function admin_refusal(users, email, customer)
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
