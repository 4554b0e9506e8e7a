--[[
  Pauses the queue the v6 way (wire-format §0.1, §7.9): jobs stay in "wait"; workers see
  meta "paused" and fetch nothing; the marker goes so blocked workers do not wake for nothing.

  Reads:  nothing
  Writes: meta, marker, events

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  Returns 0.
]]
--- @include "includes/keys"

local Q = queueKeys(ARGV[1])
redis.call("HSET", Q.meta, "paused", 1)
redis.call("DEL", Q.marker)
redis.call("XADD", Q.events, "*", "event", "paused")
return 0
