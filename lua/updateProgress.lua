--[[
  Job.updateProgress (wire-format §7.11): stores the progress and tells QueueEvents listeners.

  Reads:  nothing
  Writes: <job>, events, meta

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] progress as JSON (a number, string, boolean or object)
  Returns 0, or -1 when the job does not exist.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"

local jobKey = KEYS[1]
if redis.call("EXISTS", jobKey) == 0 then return -1 end
local Q = queueKeys(ARGV[1])
redis.call("HSET", jobKey, "progress", ARGV[3])
redis.call("XADD", Q.events, "MAXLEN", "~", getOrSetMaxEvents(Q.meta), "*", "event", "progress",
  "jobId", ARGV[2], "data", ARGV[3])
return 0
