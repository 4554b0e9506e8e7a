--[[
  Sets or removes the global concurrency / rate limit fields of meta (wire-format §5). When that
  leaves the queue able to hand out jobs that are ready, the base marker wakes idle workers at
  once (they would otherwise notice only at their next drainDelay timeout).

  Reads:  wait, prioritized, active
  Writes: meta, marker

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] "set" (ARGV[3..] = field, value, ...) or "del" (ARGV[3..] = fields)
  Returns what HSET / HDEL returned (fields added / removed).
]]
--- @include "includes/keys"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/addBaseMarkerIfNeeded"

local Q = queueKeys(ARGV[1])
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
local changed
if ARGV[2] == "set" then
  changed = redis.call("HSET", Q.meta, unpack(fields))
else
  changed = redis.call("HDEL", Q.meta, unpack(fields))
end
if redis.call("LLEN", Q.wait) > 0 or redis.call("ZCARD", Q.prioritized) > 0 then
  addBaseMarkerIfNeeded(Q.marker, isQueuePausedOrMaxed(Q.meta, Q.active))
end
return changed
