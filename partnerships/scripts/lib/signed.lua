-- signed_refusal: refuses when the relationship is missing (NOT_FOUND), its
-- acceptance is not the one the caller read (STALE: read again), or that
-- acceptance is of agreement version (SIGNED). It only reads.
-- rel is the relationship hash, cur the acceptance hash the caller read
-- (any key of the slot when curID is empty).
local function signed_refusal(rel, cur, curID, version, partner)
  if redis.call('EXISTS', rel) == 0 then
    return {'NOT_FOUND', 'no relationship with partner ' .. partner}
  end
  local now = redis.call('HGET', rel, 'acceptance_id') or ''
  if now ~= curID then
    return {'STALE', 'the relationship was signed meanwhile'}
  end
  if curID ~= '' and redis.call('HGET', cur, 'agreement_version') == version then
    return {'SIGNED', 'agreement version ' .. version .. ' is signed (acceptance ' .. curID .. ')'}
  end
  return nil
end
