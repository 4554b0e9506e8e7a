--[[
  Detaches a job that a queue-wide removal (clean, drain, obliterate) deletes from its parent
  (wire-format §7.9). When that was the parent's last pending dependency and the parent waits in
  waiting-children, then as in BullMQ:
  - a parent in the queue being emptied (`base`) goes too, keys and owned deduplication id, with
    no event, and its own parent is detached the same way: nothing is left to run it for;
  - a parent in another queue is released without an event (its priority and delay apply).
  A parent still waiting for children elsewhere stays in waiting-children.
]]
--- @include "includes/keys"
--- @include "includes/parseParentRef"
--- @include "includes/moveParentToWait"
--- @include "includes/removeDeduplicationKeyIfOwned"
--- @include "includes/removeJobKeys"
local function purgeParentDependency(jobKey, base, now)
  local fields = redis.call("HMGET", jobKey, "parentKey", "parent")
  if not fields[1] and not fields[2] then return end
  local parentKey, parentQueueKey, parentId = parseParentRef(fields[1], fields[2])
  if not parentKey then return end
  local depsKey = parentKey .. JK.dependencies
  if redis.call("SREM", depsKey, jobKey) == 0 or redis.call("SCARD", depsKey) > 0 then return end
  if not redis.call("ZSCORE", parentQueueKey .. ":" .. QK.waitingChildren, parentId) then return end
  if parentQueueKey .. ":" == base then
    redis.call("ZREM", base .. QK.waitingChildren, parentId)
    purgeParentDependency(parentKey, base, now)
    removeDeduplicationKeyIfOwned(base, parentKey, parentId)
    removeJobKeys(parentKey)
  else
    moveParentToWait(parentQueueKey, parentKey, parentId, now, true)
  end
end
