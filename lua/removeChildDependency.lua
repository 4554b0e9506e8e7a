--[[
  Job.removeChildDependency (wire-format §7.9): detaches a pending child from its parent. The
  child's key leaves the parent's ":dependencies" and the child forgets its parent (fields
  "parentKey" and "parent"); a parent that waited only for this child is released.

  Reads:  <parent>; in the parent's queue: active
  Writes: <job>, <parent>:dependencies; in the parent's queue: waiting-children, wait,
          prioritized, pc, delayed, marker, events, meta

  KEYS[1] the child's job key
  ARGV[1] now ms
  Returns 0 when detached, 1 when the child is not a pending dependency of its parent (already
          finished, or detached before), -1 when the job does not exist, -5 when it has no
          parent or its parent does not exist.
]]
--- @include "includes/keys"
--- @include "includes/parseParentRef"
--- @include "includes/moveParentToWait"

local jobKey = KEYS[1]
local now = tonumber(ARGV[1])

if redis.call("EXISTS", jobKey) == 0 then return -1 end
local fields = redis.call("HMGET", jobKey, "parentKey", "parent")
local parentKey, parentQueueKey, parentId = parseParentRef(fields[1], fields[2])
if not parentKey or redis.call("EXISTS", parentKey) == 0 then return -5 end

local depsKey = parentKey .. JK.dependencies
if redis.call("SREM", depsKey, jobKey) == 0 then return 1 end
redis.call("HDEL", jobKey, "parentKey", "parent")
if redis.call("SCARD", depsKey) == 0 and redis.call("ZSCORE", parentQueueKey .. ":" .. QK.waitingChildren, parentId) then
  moveParentToWait(parentQueueKey, parentKey, parentId, now)
end
return 0
