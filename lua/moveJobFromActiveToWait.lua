--[[
  Hands an active job back when its processor hit a rate limit (RateLimitError): in front of the
  queue (or of its priority), without using an attempt (wire-format §7.11
  moveJobFromActiveToWait).

  Reads:  <job>, limiter
  Writes: <job>:lock, stalled, active, wait, prioritized, marker, events, meta

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] lock token ("0" = no lock check)
  Returns the rate limiter's remaining ms (0 when no limit is running), or -1 / -2 / -3 / -6.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/releaseLock"
--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/pushBackInFront"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]

if redis.call("EXISTS", jobKey) == 0 then return -1 end
local released = releaseLock(jobKey, Q.stalled, Q.active, jobId, ARGV[3])
if released < 0 then return released end
if redis.call("LREM", Q.active, -1, jobId) == 0 then return -3 end

pushBackInFront(Q, jobKey, jobId)
addBaseMarkerIfNeeded(Q.marker, isQueuePausedOrMaxed(Q.meta, Q.active))
redis.call("XADD", Q.events, "MAXLEN", "~", getOrSetMaxEvents(Q.meta), "*", "event", "waiting", "jobId", jobId,
  "prev", "active")

local ttl = redis.call("PTTL", Q.limiter)
if ttl > 0 then return ttl end
return 0
