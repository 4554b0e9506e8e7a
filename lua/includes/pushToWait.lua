--[[
  Puts a ready job where workers take it: `wait` (LPUSH = back of the line, RPUSH = next to run)
  for priority 0, else `prioritized`; then the base marker unless paused or maxed.
]]
--- @include "includes/getPriorityScore"
--- @include "includes/addBaseMarkerIfNeeded"
local function pushToWait(Q, jobId, priority, pushCmd, isPausedOrMaxed)
  if priority and priority > 0 then
    redis.call("ZADD", Q.prioritized, getPriorityScore(priority, Q.pc), jobId)
  else
    redis.call(pushCmd, Q.wait, jobId)
  end
  addBaseMarkerIfNeeded(Q.marker, isPausedOrMaxed)
end
