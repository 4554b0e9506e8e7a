--[[
  The worker fetch (wire-format §7.3), shared by moveToActive and moveToFinished's fetch-next:
  promote due delayed jobs, honour the rate limit, pause and global concurrency, then move up to
  `count` jobs to active, locking each with `token`.

  Returns { rateLimitTtlMs, nextDelayedDueMs, jobId1, jobHash1, jobId2, jobHash2, ... }.
]]
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/promoteDelayedJobs"
--- @include "includes/addBaseMarkerIfNeeded"
local function fetchJobs(Q, token, lockDuration, now, limiterMax, limiterDuration, workerName, count, maxEvents)
  local pausedOrMaxed = isQueuePausedOrMaxed(Q.meta, Q.active)
  promoteDelayedJobs(Q, now, pausedOrMaxed, maxEvents)

  -- meta max wins over the worker's max, the worker's duration over meta duration (as BullMQ).
  local meta = redis.call("HMGET", Q.meta, "max", "duration", "concurrency")
  local maxJobs = tonumber(meta[1])
  if not maxJobs and limiterMax > 0 then maxJobs = limiterMax end
  local duration = limiterDuration
  if duration <= 0 then duration = tonumber(meta[2]) or 0 end
  local started = 0
  if maxJobs then
    started = tonumber(redis.call("GET", Q.limiter) or 0) or 0
    if started >= maxJobs then
      local ttl = redis.call("PTTL", Q.limiter)
      if ttl > 0 then return { ttl, 0 } end
      redis.call("DEL", Q.limiter)
      started = 0
    end
  end
  if pausedOrMaxed then return { 0, 0 } end

  local slots = count
  if meta[3] then
    local free = tonumber(meta[3]) - redis.call("LLEN", Q.active)
    if free < slots then slots = free end
  end

  local result = { 0, 0 }
  local taken = 0
  while taken < slots do
    local jobId = redis.call("RPOPLPUSH", Q.wait, Q.active)
    if jobId and string.sub(jobId, 1, 2) == "0:" then
      -- a legacy marker id: drop it and look again
      redis.call("LREM", Q.active, 1, jobId)
    else
      if not jobId then
        local popped = redis.call("ZPOPMIN", Q.prioritized)
        if popped[1] then
          jobId = popped[1]
          redis.call("LPUSH", Q.active, jobId)
        else
          redis.call("DEL", Q.pc)
          break
        end
      end
      local jobKey = Q.base .. jobId
      taken = taken + 1
      if maxJobs and redis.call("HEXISTS", jobKey, "defa") == 0 then
        started = redis.call("INCR", Q.limiter)
        if started == 1 and duration > 0 then redis.call("PEXPIRE", Q.limiter, duration) end
      end
      if token ~= "0" then
        redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
      end
      redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "active", "jobId", jobId, "prev", "waiting")
      if workerName ~= "" then
        redis.call("HSET", jobKey, "processedOn", now, "pb", workerName)
      else
        redis.call("HSET", jobKey, "processedOn", now)
      end
      redis.call("HINCRBY", jobKey, "ats", 1)
      result[#result + 1] = jobId
      result[#result + 1] = redis.call("HGETALL", jobKey)
      if maxJobs and started >= maxJobs then break end
    end
  end

  if taken > 0 then
    -- unconditional (as BullMQ): the next idle worker wakes and tries too, whatever is left
    addBaseMarkerIfNeeded(Q.marker, false)
    return result
  end
  local first = redis.call("ZRANGE", Q.delayed, 0, 0, "WITHSCORES")
  if first[2] then result[2] = math.floor(tonumber(first[2]) / 0x1000) end
  return result
end
