--[[
  A finished child that runs again becomes a pending dependency of its parent again: its entry
  leaves the parent's ":processed" (retry of completed) or ":failed" / ":unsuccessful" (retry of
  failed) and returns to ":dependencies". A parent that already left waiting-children stays where
  it is (wire-format §7.11).
]]
--- @include "includes/keys"
--- @include "includes/parseParentRef"
local function reattachToParent(jobKey, state)
  local fields = redis.call("HMGET", jobKey, "parentKey", "parent")
  if not fields[1] and not fields[2] then return end
  local parentKey = parseParentRef(fields[1], fields[2])
  if not parentKey or redis.call("EXISTS", parentKey) == 0 then return end
  local recorded = 0
  if state == "completed" then
    recorded = redis.call("HDEL", parentKey .. JK.processed, jobKey)
  else
    recorded = redis.call("HDEL", parentKey .. JK.failed, jobKey)
      + redis.call("ZREM", parentKey .. JK.unsuccessful, jobKey)
  end
  if recorded > 0 then
    redis.call("SADD", parentKey .. JK.dependencies, jobKey)
  end
end
