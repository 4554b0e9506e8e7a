--[[
  Per-minute metrics of finished jobs (wire-format §10.4), for workers with metrics.maxDataPoints.
  "metrics:<target>" holds count (every finish), prevTS and prevCount (count at the last data
  point). The first finish only starts the clock. Once at least one minute boundary
  (floor(ms / 60000)) lies between prevTS and now, the jobs finished since the last data point
  (not counting this one) are LPUSHed to "metrics:<target>:data", followed by a zero per further
  minute that passed, at most maxDataPoints values in all: newest first, idle minutes at the head.
]]
--- @include "includes/keys"
local function collectMetrics(base, target, maxDataPoints, now)
  local metricsKey = base .. QK.metrics .. target
  local dataKey = metricsKey .. QK.metricsData
  -- finished before this job
  local count = redis.call("HINCRBY", metricsKey, "count", 1) - 1
  local prev = redis.call("HMGET", metricsKey, "prevTS", "prevCount")
  if not prev[1] then
    redis.call("HSET", metricsKey, "prevTS", now, "prevCount", 0)
    return
  end
  local minutes = math.floor(now / 60000) - math.floor(tonumber(prev[1]) / 60000)
  if minutes <= 0 then return end
  local points = math.min(minutes, maxDataPoints)
  redis.call("LPUSH", dataKey, count - (tonumber(prev[2]) or 0))
  -- Lua's stack cannot unpack a month of idle minutes at once
  local zeros = points - 1
  while zeros > 0 do
    local batch = math.min(zeros, 4000)
    local values = {}
    for i = 1, batch do values[i] = 0 end
    redis.call("LPUSH", dataKey, unpack(values))
    zeros = zeros - batch
  end
  redis.call("LTRIM", dataKey, 0, maxDataPoints - 1)
  redis.call("HSET", metricsKey, "prevTS", now, "prevCount", count)
end
