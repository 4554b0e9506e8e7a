--[[
  Job ids of several states, a page of each (Queue.getJobs; wire-format §1.2, §1.5).
  Lists hold the newest job at the head, zsets order by score; "ascending" means oldest (or
  lowest score) first, and start/end count from that end.

  Reads:  <state> (ARGV[5..])
  Writes: nothing

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] start (>= 0)
  ARGV[3] end (-1 = to the last)
  ARGV[4] "1" ascending, "0" descending
  ARGV[5..] state key suffixes
  Returns one array of ids per suffix, in order.
]]
local base = ARGV[1]
local first = tonumber(ARGV[2])
local last = tonumber(ARGV[3])
local asc = ARGV[4] == "1"
local result = {}

local function reversed(list)
  local out = {}
  for i = #list, 1, -1 do out[#out + 1] = list[i] end
  return out
end

for i = 5, #ARGV do
  local key = base .. ARGV[i]
  local kind = ARGV[i]
  local ids
  if kind == "wait" or kind == "paused" or kind == "active" then
    if asc then
      ids = reversed(redis.call("LRANGE", key, -last - 1, -first - 1))
    else
      ids = redis.call("LRANGE", key, first, last)
    end
    local jobs = {}
    for _, id in ipairs(ids) do
      if string.sub(id, 1, 2) ~= "0:" then jobs[#jobs + 1] = id end
    end
    ids = jobs
  elseif asc then
    ids = redis.call("ZRANGE", key, first, last)
  else
    ids = redis.call("ZREVRANGE", key, first, last)
  end
  result[#result + 1] = ids
end
return result
