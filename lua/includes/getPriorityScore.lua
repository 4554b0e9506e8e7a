--[[
  prioritized score = priority * 2^32 + (INCR pc mod 2^32): lower runs first, FIFO within a priority.
]]
local function getPriorityScore(priority, pcKey)
  local counter = redis.call("INCR", pcKey)
  return priority * 0x100000000 + counter % 0x100000000
end
