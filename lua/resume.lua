--[[
  Resumes the queue (wire-format §0.1, §7.9): removes meta "paused", moves a legacy v5 "paused"
  list into "wait" (at most ARGV[2] ids per call, oldest to the end that runs next, as they were
  added first), then wakes workers: base marker when a job is ready, else a delay marker.
  "resumed" is emitted once, by the call that finishes the migration.

  Reads:  prioritized, delayed, active
  Writes: meta, paused, wait, marker, events

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] how many legacy ids to move per call
  Returns 1 while legacy ids remain to be moved (call again), else 0.
]]
--- @include "includes/keys"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/addDelayMarkerIfNeeded"

local Q = queueKeys(ARGV[1])
local batch = tonumber(ARGV[2])
redis.call("HDEL", Q.meta, "paused")

if redis.call("EXISTS", Q.paused) == 1 then
  if redis.call("EXISTS", Q.wait) == 0 then
    redis.call("RENAME", Q.paused, Q.wait)
  else
    local ids = redis.call("LRANGE", Q.paused, 0, batch - 1)
    for i = 1, #ids, 5000 do
      redis.call("RPUSH", Q.wait, unpack(ids, i, math.min(i + 4999, #ids)))
    end
    redis.call("LTRIM", Q.paused, #ids, -1)
    if redis.call("EXISTS", Q.paused) == 1 then return 1 end
  end
end

if redis.call("LLEN", Q.wait) > 0 or redis.call("ZCARD", Q.prioritized) > 0 then
  addBaseMarkerIfNeeded(Q.marker, isQueuePausedOrMaxed(Q.meta, Q.active))
else
  addDelayMarkerIfNeeded(Q.marker, Q.delayed)
end
redis.call("XADD", Q.events, "*", "event", "resumed")
return 0
