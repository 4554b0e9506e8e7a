--[[
  A queue takes no base marker and hands out no job while paused (meta "paused" exists) or while
  global concurrency is reached (LLEN active >= meta "concurrency").
]]
local function isQueuePausedOrMaxed(metaKey, activeKey)
  local values = redis.call("HMGET", metaKey, "paused", "concurrency")
  if values[1] then return true end
  if values[2] then
    return redis.call("LLEN", activeKey) >= tonumber(values[2])
  end
  return false
end
