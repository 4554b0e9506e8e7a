--[[
  Puts a ready job in `wait` or `prioritized` (pushToWait without the base marker): for a script
  that adds many jobs and writes the marker once.
]]
--- @include "includes/getPriorityScore"
local function pushReady(Q, jobId, priority, pushCmd)
  if priority and priority > 0 then
    redis.call("ZADD", Q.prioritized, getPriorityScore(priority, Q.pc), jobId)
  else
    redis.call(pushCmd, Q.wait, jobId)
  end
end
