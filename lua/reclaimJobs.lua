--[[
  Hands back jobs a worker was given by a fetch whose reply it never read (wire-format §8.1): each
  goes in front of the queue (or of its priority) as a graceful close hands a job back, with no
  attempt counted and `stc` untouched. Only a job still in the activation findJobsLockedBy saw
  moves: in active, `ats` unchanged, its lock holding the same token or gone.

  Reads:  <job>
  Writes: active, <job>:lock, stalled, wait, prioritized, marker, events, meta

  KEYS[1] the queue's active list (it routes the call on a cluster)
  ARGV[1] queue base
  ARGV[2..] triples of job id, token, ats, in the order findJobsLockedBy listed them
  Returns the ids handed back.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/pushBackInFront"

local Q = queueKeys(ARGV[1])
local handed = {}
local maxEvents
for i = 2, #ARGV, 3 do
  local jobId, token, ats = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local jobKey = Q.base .. jobId
  local lockKey = jobKey .. JK.lock
  local holder = redis.call("GET", lockKey)
  if (holder == token or not holder) and redis.call("HGET", jobKey, "ats") == ats
      and redis.call("LREM", Q.active, -1, jobId) > 0 then
    if holder then redis.call("DEL", lockKey) end
    redis.call("SREM", Q.stalled, jobId)
    -- newest first: the job taken first ends up at the very front, as it was in the queue
    pushBackInFront(Q, jobKey, jobId)
    maxEvents = maxEvents or getOrSetMaxEvents(Q.meta)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId, "prev", "active")
    handed[#handed + 1] = jobId
  end
end
if #handed > 0 then addBaseMarkerIfNeeded(Q.marker, isQueuePausedOrMaxed(Q.meta, Q.active)) end
return handed
