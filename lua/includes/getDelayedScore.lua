--[[
  delayed score = due ms * 4096 + seq; seq keeps FIFO among jobs due in the same millisecond.
]]
local function getDelayedScore(delayedKey, dueMs)
  local low = dueMs * 0x1000
  local high = low + 0xfff
  local last = redis.call("ZREVRANGEBYSCORE", delayedKey, high, low, "WITHSCORES", "LIMIT", 0, 1)
  if last[2] then
    local score = tonumber(last[2]) + 1
    if score > high then score = high end
    return score
  end
  return low
end
