--[[
  The stalled checker (wire-format §7.7): at most once per `stalledInterval` across all workers,
  jobs that sat in active across two checks without a lock go back to wait; past
  `maxStalledCount` they carry a deferred failure ("defa") that the next fetch applies.

  Reads:  <job>:lock, repeat:<id>
  Writes: stalled-check, stalled, active, <job>, wait, marker, events, meta

  KEYS[1] the queue's stalled-check key
  ARGV[1] queue base
  ARGV[2] max stalled count
  ARGV[3] now ms
  ARGV[4] stalled interval ms
  Returns the ids recovered in this pass.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/addBaseMarkerIfNeeded"

local Q = queueKeys(ARGV[1])
local maxStalledCount = tonumber(ARGV[2])
if redis.call("EXISTS", Q.stalledCheck) == 1 then return {} end
redis.call("SET", Q.stalledCheck, ARGV[3], "PX", ARGV[4])

local maxEvents = getOrSetMaxEvents(Q.meta)
redis.call("XTRIM", Q.events, "MAXLEN", "~", maxEvents)

local recovered = {}
local candidates = redis.call("SMEMBERS", Q.stalled)
if #candidates > 0 then
  redis.call("DEL", Q.stalled)
  local pausedOrMaxed = isQueuePausedOrMaxed(Q.meta, Q.active)
  for _, jobId in ipairs(candidates) do
    if string.sub(jobId, 1, 2) ~= "0:" then
      local jobKey = Q.base .. jobId
      if redis.call("EXISTS", jobKey .. JK.lock) == 0 and redis.call("LREM", Q.active, 1, jobId) > 0 then
        local stalledCount = redis.call("HINCRBY", jobKey, "stc", 1)
        if stalledCount > maxStalledCount then
          local rjk = redis.call("HGET", jobKey, "rjk")
          local liveScheduler = rjk and redis.call("EXISTS", Q.base .. QK.scheduler .. rjk) == 1
          if not liveScheduler then
            redis.call("HSET", jobKey, "defa", "job stalled more than allowable limit")
          end
        end
        redis.call("RPUSH", Q.wait, jobId)
        addBaseMarkerIfNeeded(Q.marker, pausedOrMaxed)
        -- not trimmed here: the XTRIM above bounds the stream (a cap of 0 would remove these at once)
        redis.call("XADD", Q.events, "*", "event", "waiting", "jobId", jobId, "prev", "active")
        redis.call("XADD", Q.events, "*", "event", "stalled", "jobId", jobId)
        recovered[#recovered + 1] = jobId
      end
    end
  end
end

local active = redis.call("LRANGE", Q.active, 0, -1)
for i = 1, #active, 5000 do
  redis.call("SADD", Q.stalled, unpack(active, i, math.min(i + 4999, #active)))
end
return recovered
