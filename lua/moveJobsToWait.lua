--[[
  One batch of Queue.retryJobs (from completed or failed) or Queue.promoteJobs (from delayed)
  (wire-format §7.11): moves up to ARGV[4] jobs to the back of "wait" (LPUSH, whatever their
  priority, as BullMQ), oldest first, emitting "waiting" with prev = the state they left.
  Retried jobs lose finishedOn, processedOn and their returnvalue / failedReason, and become
  pending dependencies of their parent again. Promoted jobs keep their "delay" field (as BullMQ).

  Reads:  active, <parent>
  Writes: <state> (ARGV[2]), <job>, wait, marker, events, meta, <parent>:processed,
          <parent>:failed, <parent>:unsuccessful, <parent>:dependencies

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] state: completed, failed or delayed
  ARGV[3] completed/failed: only jobs finished at or before this time (ms)
  ARGV[4] most jobs to move in this call
  Returns 1 when more jobs remain (call again), else 0.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/reattachToParent"

local Q = queueKeys(ARGV[1])
local state = ARGV[2]
local stateKey = Q.base .. state
local count = tonumber(ARGV[4])

local maxScore = "+inf"
if state ~= "delayed" then maxScore = ARGV[3] end
local ids = redis.call("ZRANGEBYSCORE", stateKey, "-inf", maxScore, "LIMIT", 0, count)
if #ids == 0 then return 0 end

local maxEvents = getOrSetMaxEvents(Q.meta)
local finishedFields = { completed = "returnvalue", failed = "failedReason" }
for _, jobId in ipairs(ids) do
  local jobKey = Q.base .. jobId
  -- an id whose hash is gone (removed by hand) is only dropped from the state
  if redis.call("EXISTS", jobKey) == 1 then
    if state ~= "delayed" then
      redis.call("HDEL", jobKey, "finishedOn", "processedOn", finishedFields[state])
      reattachToParent(jobKey, state)
    end
    redis.call("LPUSH", Q.wait, jobId)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId, "prev", state)
  end
end
for i = 1, #ids, 5000 do
  redis.call("ZREM", stateKey, unpack(ids, i, math.min(i + 4999, #ids)))
end
addBaseMarkerIfNeeded(Q.marker, isQueuePausedOrMaxed(Q.meta, Q.active))

if redis.call("ZCOUNT", stateKey, "-inf", maxScore) > 0 then return 1 end
return 0
