--[[
  The worker fetch (wire-format §7.3), shared by moveToActive and moveToFinished's fetch-next:
  promote due delayed jobs, honour the rate limit, pause and global concurrency, then move up to
  `count` jobs to active, locking each with `token`. `meta` is readQueueMeta's table, read once by
  the calling script. `lockDuration` and `now` are the ARGV strings as the caller got them: they go
  to Redis as they are (a Lua number passed to redis.call is formatted with printf each time).

  Returns { rateLimitTtlMs, nextDelayedDueMs, jobId1, jobHash1, jobId2, jobHash2, ... }, each
  jobHash the job's hash as one JSON object (cjson; field order is not kept): one bulk string
  instead of two per field is far less work for the worker to decode, and no more for Redis to
  encode.
]]
--- @include "includes/keys"
--- @include "includes/readQueueMeta"
--- @include "includes/promoteDelayedJobs"
--- @include "includes/addBaseMarkerIfNeeded"

-- The fetched job's hash (HGETALL's flat array) as a table by field, as the HSET of
-- processedOn/pb/ats leaves it: read before that write, so the ats counter needs no HINCRBY of its
-- own. Returns the table and the new ats, as text.
local function withStartFields(flat, now, workerName)
  local fields = {}
  for i = 1, #flat, 2 do fields[flat[i]] = flat[i + 1] end
  local ats = tostring((tonumber(fields.ats) or 0) + 1)
  fields.ats = ats
  fields.processedOn = now
  if workerName ~= "" then fields.pb = workerName end
  return fields, ats
end

local function fetchJobs(Q, token, lockDuration, now, limiterMax, limiterDuration, workerName, count, meta)
  local maxEvents = meta.maxEvents
  local isPausedOrMaxed = isMetaPausedOrMaxed(meta, Q.active)
  promoteDelayedJobs(Q, tonumber(now), isPausedOrMaxed, maxEvents)

  -- meta max wins over the worker's max, the worker's duration over meta duration (as BullMQ).
  local maxJobs = meta.max
  if not maxJobs and limiterMax > 0 then maxJobs = limiterMax end
  local duration = limiterDuration
  if duration <= 0 then duration = meta.duration or 0 end
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
  if isPausedOrMaxed then return { 0, 0 } end

  local slots = count
  if meta.concurrency then
    local free = meta.concurrency - redis.call("LLEN", Q.active)
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
        redis.call("SET", jobKey .. JK.lock, token, "PX", lockDuration)
      end
      redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "active", "jobId", jobId, "prev", "waiting")
      local hash, ats = withStartFields(redis.call("HGETALL", jobKey), now, workerName)
      if workerName ~= "" then
        redis.call("HSET", jobKey, "processedOn", now, "pb", workerName, "ats", ats)
      else
        redis.call("HSET", jobKey, "processedOn", now, "ats", ats)
      end
      result[#result + 1] = jobId
      result[#result + 1] = cjson.encode(hash)
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
