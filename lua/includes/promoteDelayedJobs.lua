--[[
  Moves up to 1000 due delayed jobs to wait/prioritized (emitting "waiting prev delayed").
  Promotion happens even while paused; only the base marker depends on paused/maxed.
]]
--- @include "includes/getPriorityScore"
--- @include "includes/addBaseMarkerIfNeeded"
local function promoteDelayedJobs(Q, now, isPausedOrMaxed, maxEvents)
  -- a fetch runs this every time: numbers given to redis.call are formatted with printf("%.17g"),
  -- so the bound goes as the integer text it is
  local maxScore = (now + 1) * 0x1000 - 1
  if maxScore == math.floor(maxScore) and maxScore > -2 ^ 53 and maxScore < 2 ^ 53 then
    maxScore = string.format("%d", maxScore)
  end
  local due = redis.call("ZRANGEBYSCORE", Q.delayed, "0", maxScore, "LIMIT", "0", "1000")
  if #due == 0 then return 0 end
  redis.call("ZREM", Q.delayed, unpack(due))
  for _, jobId in ipairs(due) do
    local jobKey = Q.base .. jobId
    local priority = tonumber(redis.call("HGET", jobKey, "priority") or 0) or 0
    if priority > 0 then
      redis.call("ZADD", Q.prioritized, getPriorityScore(priority, Q.pc), jobId)
    else
      redis.call("LPUSH", Q.wait, jobId)
    end
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId, "prev", "delayed")
    redis.call("HSET", jobKey, "delay", 0)
  end
  addBaseMarkerIfNeeded(Q.marker, isPausedOrMaxed)
  return #due
end
