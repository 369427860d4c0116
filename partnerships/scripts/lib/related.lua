-- related_refusal: a RELATED refusal when the relationship hash rel already holds
-- type typ (the partner asks for what the customer already granted), else nil.
-- Shared by create_invitation.lua and resend_invitation.lua. It only reads.
-- rel is the customer's relationship hash with the partner (a key the including
-- script was given).
local function related_refusal(rel, typ)
  local r = redis.call('HMGET', rel, 'customer_id', 'partner_id', 'types', 'since')
  if not r[3] then
    return nil
  end
  for t in string.gmatch(r[3], '[^,]+') do
    if t == typ then
      return {'RELATED', 'customer ' .. tostring(r[1]) .. ' already has a ' .. typ ..
        ' relationship with partner ' .. tostring(r[2]), r[1] or '', r[2] or '', r[3], r[4] or '0'}
    end
  end
  return nil
end
