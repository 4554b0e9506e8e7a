--[[
  Moves an active job to delayed: a retry with backoff, or job.moveToDelayed (wire-format §7.6).

  Reads:  nothing
  Writes: <job>, <job>:lock, stalled, active, delayed, marker, events, meta

  KEYS[1] the job key
  ARGV[1] queue base
  ARGV[2] job id
  ARGV[3] lock token ("0" = no lock check)
  ARGV[4] now ms
  ARGV[5] due time ms
  ARGV[6] failed reason ("" = leave as is)
  ARGV[7] stacktrace JSON ("" = leave as is)
  ARGV[8] "1" to count the attempt (atm + 1), "0" to skip it
  Returns 0, or -1 / -2 / -3 / -6.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/releaseLock"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local now = tonumber(ARGV[4])
local due = tonumber(ARGV[5])

if redis.call("EXISTS", jobKey) == 0 then return -1 end
local released = releaseLock(jobKey, Q.stalled, Q.active, jobId, ARGV[3])
if released < 0 then return released end
if redis.call("LREM", Q.active, -1, jobId) == 0 then return -3 end

if ARGV[6] ~= "" then redis.call("HSET", jobKey, "failedReason", ARGV[6]) end
if ARGV[7] ~= "" then redis.call("HSET", jobKey, "stacktrace", ARGV[7]) end
if ARGV[8] == "1" then redis.call("HINCRBY", jobKey, "atm", 1) end
local delay = due - now
if delay < 0 then delay = 0 end
redis.call("HSET", jobKey, "delay", delay)
redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, due), jobId)
local maxEvents = getOrSetMaxEvents(Q.meta)
redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "delayed", "jobId", jobId, "delay", due)
addDelayMarkerIfNeeded(Q.marker, Q.delayed)
return 0
