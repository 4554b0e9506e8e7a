--[[
  Puts a ready job where workers take it: `wait` (LPUSH = back of the line, RPUSH = next to run)
  for priority 0, else `prioritized` (pushReady); then the base marker unless paused or maxed.
]]
--- @include "includes/pushReady"
--- @include "includes/addBaseMarkerIfNeeded"
local function pushToWait(Q, jobId, priority, pushCmd, isPausedOrMaxed)
  pushReady(Q, jobId, priority, pushCmd)
  addBaseMarkerIfNeeded(Q.marker, isPausedOrMaxed)
end
