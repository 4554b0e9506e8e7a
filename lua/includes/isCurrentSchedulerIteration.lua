--[[
  True when the job is the pending iteration of a live job scheduler ("repeat:<id>:<millis>" with
  <millis> = the scheduler's score in "repeat"). Removing it would stop the schedule, because the
  next iteration is only created when this one is activated (wire-format §7.12).
]]
--- @include "includes/keys"
--- @include "includes/schedulerIterationId"
local function isCurrentSchedulerIteration(Q, jobKey, jobId)
  if string.sub(jobId, 1, #QK.schedulerIteration) ~= QK.schedulerIteration then return false end
  local rjk = redis.call("HGET", jobKey, "rjk")
  if not rjk then return false end
  local millis = redis.call("ZSCORE", Q.repeat_, rjk)
  return millis ~= false and jobId == schedulerIterationId(rjk, millis)
end
