--[[
  The state of one job (wire-format §7.11 getState).

  Reads:  completed, failed, delayed, prioritized, active, wait, paused, waiting-children
  Writes: nothing

  KEYS[1] meta key of the queue
  ARGV[1] queue base
  ARGV[2] job id
  Returns "completed", "failed", "delayed", "prioritized", "active", "waiting",
          "waiting-children" or "unknown".
]]
--- @include "includes/keys"

local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
if redis.call("ZSCORE", Q.completed, jobId) then return "completed" end
if redis.call("ZSCORE", Q.failed, jobId) then return "failed" end
if redis.call("ZSCORE", Q.delayed, jobId) then return "delayed" end
if redis.call("ZSCORE", Q.prioritized, jobId) then return "prioritized" end
if redis.call("LPOS", Q.active, jobId) then return "active" end
if redis.call("LPOS", Q.wait, jobId) then return "waiting" end
if redis.call("LPOS", Q.paused, jobId) then return "waiting" end
if redis.call("ZSCORE", Q.waitingChildren, jobId) then return "waiting-children" end
return "unknown"
