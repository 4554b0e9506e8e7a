--[[
  A child finished: record it in its parent and release the parent when its rules say so
  (wire-format §7.4 step 7). `parentJson` is the child's "parent" field.
]]
--- @include "includes/keys"
--- @include "includes/moveParentToWait"
local function updateParentOnFinish(jobKey, parentKey, parentJson, target, value, now)
  local ok, parent = pcall(cjson.decode, parentJson or "")
  if not ok or type(parent) ~= "table" then parent = {} end
  if not parentKey or parentKey == "" then
    if not parent.id or not parent.queueKey then return end
    parentKey = parent.queueKey .. ":" .. parent.id
  end
  local parentQueueKey = parent.queueKey
  local parentId = parent.id
  if not parentQueueKey or not parentId then
    local cut = string.match(parentKey, "^.*():")
    parentQueueKey = string.sub(parentKey, 1, cut - 1)
    parentId = string.sub(parentKey, cut + 1)
  end
  if redis.call("EXISTS", parentKey) == 0 then return end
  local depsKey = parentKey .. JK.dependencies
  local parentBase = parentQueueKey .. ":"
  local waitingChildrenKey = parentBase .. QK.waitingChildren
  local function releaseIfDone()
    if redis.call("SCARD", depsKey) == 0 and redis.call("ZSCORE", waitingChildrenKey, parentId) then
      moveParentToWait(parentQueueKey, parentKey, parentId, now)
    end
  end

  if target == "completed" then
    if redis.call("SREM", depsKey, jobKey) == 1 then
      redis.call("HSET", parentKey .. JK.processed, jobKey, value)
      releaseIfDone()
    end
    return
  end

  if parent.fpof then
    redis.call("SREM", depsKey, jobKey)
    redis.call("ZADD", parentKey .. JK.unsuccessful, now, jobKey)
    local delayedKey = parentBase .. QK.delayed
    local inWaitingChildren = redis.call("ZSCORE", waitingChildrenKey, parentId)
    local inDelayed = redis.call("ZSCORE", delayedKey, parentId)
    if inWaitingChildren or inDelayed then
      if inDelayed then
        redis.call("ZREM", delayedKey, parentId)
        redis.call("HSET", parentKey, "delay", 0)
      end
      redis.call("ZADD", waitingChildrenKey, now, parentId)
      redis.call("HSET", parentKey, "defa", "child " .. jobKey .. " failed")
      moveParentToWait(parentQueueKey, parentKey, parentId, now)
    elseif not redis.call("ZSCORE", parentBase .. QK.failed, parentId) then
      redis.call("HSET", parentKey, "defa", "child " .. jobKey .. " failed")
    end
  elseif parent.cpof then
    redis.call("SREM", depsKey, jobKey)
    redis.call("HSET", parentKey .. JK.failed, jobKey, value)
    if redis.call("ZSCORE", waitingChildrenKey, parentId) then
      moveParentToWait(parentQueueKey, parentKey, parentId, now)
    end
  elseif parent.idof then
    redis.call("SREM", depsKey, jobKey)
    redis.call("HSET", parentKey .. JK.failed, jobKey, value)
    releaseIfDone()
  elseif parent.rdof then
    redis.call("SREM", depsKey, jobKey)
    releaseIfDone()
  end
end
