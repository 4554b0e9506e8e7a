--[[
  The meta fields a worker script needs, read in one HMGET instead of one read per concern: the
  events cap "opts.maxLenEvents" (10000 when absent, and then written as getOrSetMaxEvents does
  when `writeCap`), "paused", the global concurrency and the global rate limit ("max",
  "duration"). A fetch passes no `writeCap`: as BullMQ's, it writes no meta (an idle worker would
  otherwise bring back the meta an obliterate just deleted).
  isMetaPausedOrMaxed(meta, activeKey) is isQueuePausedOrMaxed on these values (LLEN active is read live,
  so it sees the jobs a script moved since the meta read).
]]
local function readQueueMeta(metaKey, writeCap)
  local v = redis.call("HMGET", metaKey, "opts.maxLenEvents", "paused", "concurrency", "max", "duration")
  local maxEvents = v[1]
  if not maxEvents then
    maxEvents = 10000
    if writeCap then redis.call("HSET", metaKey, "opts.maxLenEvents", maxEvents) end
  end
  return { maxEvents = maxEvents, paused = v[2] ~= false, concurrency = tonumber(v[3]), max = tonumber(v[4]),
    duration = tonumber(v[5]) }
end

local function isMetaPausedOrMaxed(meta, activeKey)
  if meta.paused then return true end
  if meta.concurrency then return redis.call("LLEN", activeKey) >= meta.concurrency end
  return false
end
