--[[
  A removed job gives up its deduplication id ("de:<id>", and a pending "dn:<id>") only if it
  still owns it, so a newer owner keeps deduplicating.
]]
--- @include "includes/keys"
local function removeDeduplicationKeyIfOwned(base, jobKey, jobId)
  local deid = redis.call("HGET", jobKey, "deid")
  if deid then
    local dedupKey = base .. QK.dedup .. deid
    if redis.call("GET", dedupKey) == jobId then
      redis.call("DEL", dedupKey, base .. QK.dedupNext .. deid)
    end
  end
end
