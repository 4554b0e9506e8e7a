--[[
  Job.promote (wire-format §7.11): a delayed job becomes ready now, at the back of the line of
  its priority.

  Reads:  active
  Writes: delayed, wait, prioritized, pc, marker, <job>, events, meta

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  Returns 0, or -3 when the job is not delayed (also when it does not exist).
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushToWait"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
if redis.call("ZREM", Q.delayed, jobId) == 0 then return -3 end
local priority = tonumber(redis.call("HGET", jobKey, "priority") or 0) or 0
pushToWait(Q, jobId, priority, "LPUSH", isQueuePausedOrMaxed(Q.meta, Q.active))
redis.call("HSET", jobKey, "delay", 0)
redis.call("XADD", Q.events, "MAXLEN", "~", getOrSetMaxEvents(Q.meta), "*", "event", "waiting",
  "jobId", jobId, "prev", "delayed")
return 0
