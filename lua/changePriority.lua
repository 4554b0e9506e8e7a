--[[
  Job.changePriority (wire-format §7.11). A job that is waiting (in `wait` or `prioritized`) is
  taken out and put back where its new priority says: priority 0 goes to `wait` (LPUSH = back of
  the line, RPUSH with lifo = next to run), priority > 0 to `prioritized` (behind the jobs of that
  priority, or with lifo in front of them). A job in any other state only gets the field, which
  counts the next time it is queued. No event (as BullMQ).

  Reads:  meta, active
  Writes: <job>, wait, prioritized, pc, marker

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] the new priority (0 .. 2^21 - 1)
  ARGV[4] "1" for lifo
  Returns 0, or -1 when the job does not exist.
]]
--- @include "includes/keys"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushToWait"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local priority = tonumber(ARGV[3])
local lifo = ARGV[4] == "1"

if redis.call("EXISTS", jobKey) == 0 then return -1 end

local waiting = redis.call("ZREM", Q.prioritized, jobId) == 1
if not waiting then waiting = redis.call("LREM", Q.wait, 0, jobId) > 0 end
if waiting then
  local pausedOrMaxed = isQueuePausedOrMaxed(Q.meta, Q.active)
  if priority > 0 and lifo then
    -- counter 0: ahead of every job of this priority (wire-format §4.2)
    redis.call("ZADD", Q.prioritized, priority * 0x100000000, jobId)
    addBaseMarkerIfNeeded(Q.marker, pausedOrMaxed)
  else
    local pushCmd = "LPUSH"
    if lifo then pushCmd = "RPUSH" end
    pushToWait(Q, jobId, priority, pushCmd, pausedOrMaxed)
  end
end
redis.call("HSET", jobKey, "priority", priority)
return 0
