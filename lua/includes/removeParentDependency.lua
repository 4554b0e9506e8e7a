--[[
  Detaches a job that is going away from its parent: the job key leaves the parent's
  ":dependencies", and a parent waiting for that last dependency is released (wire-format §7.9).
]]
--- @include "includes/keys"
--- @include "includes/parseParentRef"
--- @include "includes/moveParentToWait"
local function removeParentDependency(jobKey, now)
  local fields = redis.call("HMGET", jobKey, "parentKey", "parent")
  if not fields[1] and not fields[2] then return end
  local parentKey, parentQueueKey, parentId = parseParentRef(fields[1], fields[2])
  if not parentKey or redis.call("EXISTS", parentKey) == 0 then return end
  local depsKey = parentKey .. JK.dependencies
  if redis.call("SREM", depsKey, jobKey) == 1 and redis.call("SCARD", depsKey) == 0
    and redis.call("ZSCORE", parentQueueKey .. ":" .. QK.waitingChildren, parentId) then
    moveParentToWait(parentQueueKey, parentKey, parentId, now)
  end
end
