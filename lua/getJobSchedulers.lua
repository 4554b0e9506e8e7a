--[[
  Queue.getJobSchedulers / getJobScheduler: scheduler entries with their next time and their
  hash, read in one call so each entry is consistent.

  Reads:  repeat, repeat:<id>
  Writes: nothing

  KEYS[1] the queue's `repeat` key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] "range" or "one"
  range: ARGV[3] start, ARGV[4] end, ARGV[5] "1" = ascending by next time, "0" = descending
  one:   ARGV[3] scheduler id
  Returns { id1, nextMillis1, hash1 (flat), id2, ... }; an entry without a hash (a legacy v5
  repeatable) comes with an empty hash.
]]
--- @include "includes/keys"

local Q = queueKeys(ARGV[1])
local ids
if ARGV[2] == "one" then
  local score = redis.call("ZSCORE", Q.repeat_, ARGV[3])
  if not score then return {} end
  ids = { ARGV[3], score }
elseif ARGV[5] == "1" then
  ids = redis.call("ZRANGE", Q.repeat_, ARGV[3], ARGV[4], "WITHSCORES")
else
  ids = redis.call("ZREVRANGE", Q.repeat_, ARGV[3], ARGV[4], "WITHSCORES")
end

local result = {}
for i = 1, #ids, 2 do
  result[#result + 1] = ids[i]
  result[#result + 1] = ids[i + 1]
  result[#result + 1] = redis.call("HGETALL", Q.base .. QK.scheduler .. ids[i])
end
return result
