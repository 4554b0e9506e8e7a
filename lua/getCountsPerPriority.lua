--[[
  How many ready jobs each priority has (wire-format §4.2): priority 0 jobs are the "wait" list,
  priority p > 0 jobs are the "prioritized" scores in [p * 2^32, (p + 1) * 2^32 - 1].

  Reads:  wait, prioritized
  Writes: nothing

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2..] priorities (integers >= 0)
  Returns one count per priority, in order.
]]
--- @include "includes/keys"

local Q = queueKeys(ARGV[1])
local counts = {}
for i = 2, #ARGV do
  local priority = tonumber(ARGV[i])
  if priority == 0 then
    counts[#counts + 1] = redis.call("LLEN", Q.wait)
  else
    counts[#counts + 1] = redis.call("ZCOUNT", Q.prioritized, priority * 0x100000000, (priority + 1) * 0x100000000 - 1)
  end
end
return counts
