--[[
  Retries a failed attempt at once: active -> wait/prioritized (wire-format §7.6, delay 0).

  Reads:  nothing
  Writes: <job>, <job>:lock, stalled, active, delayed, wait, prioritized, pc, marker, events, meta

  KEYS[1] the job key
  ARGV[1] queue base
  ARGV[2] job id
  ARGV[3] lock token ("0" = no lock check)
  ARGV[4] now ms
  ARGV[5] "LPUSH" (FIFO) or "RPUSH" (lifo)
  ARGV[6] failed reason ("" = leave as is)
  ARGV[7] stacktrace JSON ("" = leave as is)
  ARGV[8] "1" to count the attempt (atm + 1), "0" to not (RateLimitError, WaitingError)
  ARGV[9] "1" to put the job in front of its priority (the attempt was not the job's fault)
  Returns 0, or -1 / -2 / -3 / -6.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/promoteDelayedJobs"
--- @include "includes/releaseLock"
--- @include "includes/pushToWait"
--- @include "includes/pushBackInFront"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local now = tonumber(ARGV[4])

if redis.call("EXISTS", jobKey) == 0 then return -1 end
local released = releaseLock(jobKey, Q.stalled, Q.active, jobId, ARGV[3])
if released < 0 then return released end
if redis.call("LREM", Q.active, -1, jobId) == 0 then return -3 end

local maxEvents = getOrSetMaxEvents(Q.meta)
local pausedOrMaxed = isQueuePausedOrMaxed(Q.meta, Q.active)
promoteDelayedJobs(Q, now, pausedOrMaxed, maxEvents)

if ARGV[6] ~= "" then redis.call("HSET", jobKey, "failedReason", ARGV[6]) end
if ARGV[7] ~= "" then redis.call("HSET", jobKey, "stacktrace", ARGV[7]) end
if ARGV[8] == "1" then redis.call("HINCRBY", jobKey, "atm", 1) end

if ARGV[9] == "1" then
  pushBackInFront(Q, jobKey, jobId)
  addBaseMarkerIfNeeded(Q.marker, pausedOrMaxed)
else
  local priority = tonumber(redis.call("HGET", jobKey, "priority") or 0) or 0
  pushToWait(Q, jobId, priority, ARGV[5], pausedOrMaxed)
end
redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId, "prev", "active")
return 0
