--[[
  Wakes blocked workers: member "0" with score 0 means "a job is ready" (wire-format §4.3).
]]
local function addBaseMarkerIfNeeded(markerKey, isPausedOrMaxed)
  if not isPausedOrMaxed then
    redis.call("ZADD", markerKey, "0", "0")
  end
end
