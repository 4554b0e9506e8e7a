--[[
  Releases a parent from waiting-children (wire-format §7.10). The parent may live in another queue:
  every key comes from its qualified queue name `parentQueueKey` ("<prefix>:<queue>").
  `silent` leaves out the "waiting" / "delayed" event: queue-wide removals (clean, drain,
  obliterate) release parents without one, as BullMQ's do.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/getPriorityScore"
--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/addDelayMarkerIfNeeded"
local function moveParentToWait(parentQueueKey, parentKey, parentId, now, silent)
  local P = queueKeys(parentQueueKey .. ":")
  redis.call("ZREM", P.waitingChildren, parentId)
  local fields = redis.call("HMGET", parentKey, "priority", "delay")
  local priority = tonumber(fields[1]) or 0
  local delay = tonumber(fields[2]) or 0
  if delay > 0 then
    local due = now + delay
    redis.call("ZADD", P.delayed, due * 0x1000, parentId)
    if not silent then
      redis.call("XADD", P.events, "MAXLEN", "~", getOrSetMaxEvents(P.meta), "*", "event", "delayed", "jobId", parentId, "delay", due)
    end
    addDelayMarkerIfNeeded(P.marker, P.delayed)
    return
  end
  local pausedOrMaxed = isQueuePausedOrMaxed(P.meta, P.active)
  if priority > 0 then
    redis.call("ZADD", P.prioritized, getPriorityScore(priority, P.pc), parentId)
  else
    redis.call("RPUSH", P.wait, parentId)
  end
  addBaseMarkerIfNeeded(P.marker, pausedOrMaxed)
  if silent then return end
  redis.call("XADD", P.events, "MAXLEN", "~", getOrSetMaxEvents(P.meta), "*", "event", "waiting", "jobId", parentId, "prev", "waiting-children")
end
