--[[
  The meta fields a worker script needs, read in one HMGET instead of one read per concern: the
  events cap "opts.maxLenEvents" (written as 10000 when absent, as getOrSetMaxEvents does),
  "paused", the global concurrency and the global rate limit ("max", "duration").
  isMetaPausedOrMaxed(meta, activeKey) is isQueuePausedOrMaxed on these values (LLEN active is read live,
  so it sees the jobs a script moved since the meta read).
]]
local function readQueueMeta(metaKey)
  local v = redis.call("HMGET", metaKey, "opts.maxLenEvents", "paused", "concurrency", "max", "duration")
  local maxEvents = v[1]
  if not maxEvents then
    maxEvents = 10000
    redis.call("HSET", metaKey, "opts.maxLenEvents", maxEvents)
  end
  return { maxEvents = maxEvents, paused = v[2] ~= false, concurrency = tonumber(v[3]), max = tonumber(v[4]),
    duration = tonumber(v[5]) }
end

local function isMetaPausedOrMaxed(meta, activeKey)
  if meta.paused then return true end
  if meta.concurrency then return redis.call("LLEN", activeKey) >= meta.concurrency end
  return false
end
