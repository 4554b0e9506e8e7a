--[[
  Job.changeDelay (wire-format §7.11): a delayed job becomes due `delay` ms from now (not from
  when it was added), as BullMQ does.

  Reads:  nothing
  Writes: <job>, delayed, marker, events, meta

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] now ms
  ARGV[4] the new delay ms (>= 0)
  Returns 0, or -1 when the job does not exist, -3 when it is not delayed.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local delay = tonumber(ARGV[4])
local due = tonumber(ARGV[3]) + delay

if redis.call("EXISTS", jobKey) == 0 then return -1 end
if redis.call("ZREM", Q.delayed, jobId) == 0 then return -3 end
-- scored after the jobs already due in the same millisecond
redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, due), jobId)
redis.call("HSET", jobKey, "delay", delay)
redis.call("XADD", Q.events, "MAXLEN", "~", getOrSetMaxEvents(Q.meta), "*", "event", "delayed", "jobId", jobId,
  "delay", due)
addDelayMarkerIfNeeded(Q.marker, Q.delayed)
return 0
