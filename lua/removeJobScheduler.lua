--[[
  Queue.removeJobScheduler (wire-format §7.12): removes the scheduler and its pending delayed
  iteration ("removed" prev delayed). An iteration already waiting or active is left to run, as
  BullMQ leaves it.

  Reads:  nothing
  Writes: repeat, repeat:<id>, delayed, <job>, <job>:* (its pending iteration), events, meta

  KEYS[1] the queue's `repeat` key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] scheduler id
  Returns 0 when removed, 1 when there was no such scheduler.
]]
--- @include "includes/keys"
--- @include "includes/schedulerIterationId"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/removeJobKeys"

local Q = queueKeys(ARGV[1])
local schedulerId = ARGV[2]
local schedulerKey = Q.base .. QK.scheduler .. schedulerId

local millis = redis.call("ZSCORE", Q.repeat_, schedulerId)
if millis then
  local jobId = schedulerIterationId(schedulerId, millis)
  if redis.call("ZREM", Q.delayed, jobId) == 1 then
    removeJobKeys(Q.base .. jobId)
    redis.call("XADD", Q.events, "MAXLEN", "~", getOrSetMaxEvents(Q.meta), "*", "event", "removed",
      "jobId", jobId, "prev", "delayed")
  end
end

local removed = redis.call("ZREM", Q.repeat_, schedulerId) + redis.call("DEL", schedulerKey)
if removed > 0 then return 0 end
return 1
