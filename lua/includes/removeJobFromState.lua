--[[
  Takes a job id out of whichever state structure holds it and returns that structure's name as
  the "removed" event's "prev" field: completed, failed, delayed, prioritized, wait, paused,
  active, waiting-children or unknown.
]]
local function removeJobFromState(Q, jobId)
  if redis.call("ZREM", Q.completed, jobId) == 1 then return "completed" end
  if redis.call("ZREM", Q.failed, jobId) == 1 then return "failed" end
  if redis.call("ZREM", Q.delayed, jobId) == 1 then return "delayed" end
  if redis.call("ZREM", Q.prioritized, jobId) == 1 then return "prioritized" end
  if redis.call("LREM", Q.wait, 0, jobId) > 0 then return "wait" end
  if redis.call("LREM", Q.paused, 0, jobId) > 0 then return "paused" end
  if redis.call("LREM", Q.active, 0, jobId) > 0 then return "active" end
  if redis.call("ZREM", Q.waitingChildren, jobId) == 1 then return "waiting-children" end
  return "unknown"
end
