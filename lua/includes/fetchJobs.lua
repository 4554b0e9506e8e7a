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
  local ats = (tonumber(fields.ats) or 0) + 1
  -- tostring formats with printf("%.14g"), costly for a float; an integer below 1e14 reads the
  -- same through "%d"
  if ats == math.floor(ats) and ats > -1e14 and ats < 1e14 then
    ats = string.format("%d", ats)
  else
    ats = tostring(ats)
  end
  fields.ats = ats
  fields.processedOn = now
  if workerName ~= "" then fields.pb = workerName end
  return fields, ats
end

-- Up to `count` ids from the right of wait, pushed to the left of active as that many RPOPLPUSH
-- would leave them, legacy marker ids ("0:...") dropped on the way: three commands per 1000 jobs
-- instead of one per job. The LPUSH comes before the LTRIM on purpose: a script's first write
-- decides whether Redis under maxmemory refuses it (later ones are let through so a script is
-- never stopped halfway), and a fetch must be refused like RPOPLPUSH is, not take jobs past the
-- limit.
local function takeFromWait(Q, count)
  local ids = {}
  while #ids < count do
    local want = math.min(count - #ids, 1000)
    local tail = redis.call("LRANGE", Q.wait, -want, -1)
    if #tail == 0 then break end
    local fresh = {}
    -- the rightmost is taken first
    for i = #tail, 1, -1 do
      local id = tail[i]
      if string.sub(id, 1, 2) ~= "0:" then
        ids[#ids + 1] = id
        fresh[#fresh + 1] = id
      end
    end
    if #fresh > 0 then redis.call("LPUSH", Q.active, unpack(fresh)) end
    redis.call("LTRIM", Q.wait, 0, -#tail - 1)
    if #tail < want then break end
  end
  return ids
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
  -- without a rate limit, the jobs wait can give are taken in one go; with one, job by job (a job
  -- carrying "defa" does not count against it)
  local fromWait, used = nil, 0
  if not maxJobs and slots > 1 then fromWait = takeFromWait(Q, slots) end
  while taken < slots do
    local jobId, marker = nil, false
    if fromWait then
      -- once these are used up, wait is empty
      used = used + 1
      jobId = fromWait[used]
    else
      jobId = redis.call("RPOPLPUSH", Q.wait, Q.active)
      if jobId and string.sub(jobId, 1, 2) == "0:" then
        -- a legacy marker id: drop it and look again
        redis.call("LREM", Q.active, 1, jobId)
        marker = true
      end
    end
    if not marker then
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
  local first = redis.call("ZRANGE", Q.delayed, "0", "0", "WITHSCORES")
  if first[2] then result[2] = math.floor(tonumber(first[2]) / 0x1000) end
  return result
end
