--[[
  Member "1" of the marker holds the earliest delayed due time, so idle workers wake for it.
]]
local function addDelayMarkerIfNeeded(markerKey, delayedKey)
  local first = redis.call("ZRANGE", delayedKey, 0, 0, "WITHSCORES")
  if first[2] then
    redis.call("ZADD", markerKey, math.floor(tonumber(first[2]) / 0x1000), "1")
  end
end
