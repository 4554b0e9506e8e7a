--[[
  Job counts of several states at one instant (wire-format §7.11 getCounts).

  Reads:  <state> (ARGV[2..])
  Writes: nothing

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2..] state key suffixes: wait, paused, active (lists) or completed, failed, delayed,
            prioritized, waiting-children (zsets)
  Returns one count per suffix, in order.
]]
local base = ARGV[1]
local counts = {}
for i = 2, #ARGV do
  local key = base .. ARGV[i]
  local kind = ARGV[i]
  if kind == "wait" or kind == "paused" or kind == "active" then
    local n = redis.call("LLEN", key)
    -- a v4-era marker id ("0:<n>") may still sit at the consuming end; it is not a job
    if n > 0 then
      local last = redis.call("LINDEX", key, -1)
      if string.sub(last, 1, 2) == "0:" then n = n - 1 end
    end
    counts[#counts + 1] = n
  else
    counts[#counts + 1] = redis.call("ZCARD", key)
  end
end
return counts
