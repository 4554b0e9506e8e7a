--[[
  Finishes an active job as completed or failed, optionally fetching the next jobs in the same call
  (wire-format §7.4).

  KEYS[1] the job key
  ARGV[1]  queue base "<prefix>:<queue>:"
  ARGV[2]  job id
  ARGV[3]  lock token ("0" = no lock check); also the token for fetched jobs
  ARGV[4]  now ms
  ARGV[5]  target: "completed" or "failed"
  ARGV[6]  return value (JSON text) for completed, failed reason (raw text) for failed
  ARGV[7]  keep count (-1 = keep all, 0 = remove now, N = keep the newest N)
  ARGV[8]  keep age in seconds (0 = no age limit)
  ARGV[9]  max jobs removed by age per call
  ARGV[10] job attempts option (for "retries-exhausted")
  ARGV[11] stacktrace JSON ("" = leave as is)
  ARGV[12] fetch next: how many jobs to take (0 = none)
  ARGV[13] lock duration ms
  ARGV[14] worker limiter max (0 = none)
  ARGV[15] worker limiter duration ms
  ARGV[16] worker name ("" = none)
  Returns { 0, rateLimitTtlMs, nextDelayedDueMs, jobId1, jobHash1, ... }
          or a negative error code (-1 no job, -2 no lock, -3 not active, -4 pending children,
          -6 lock mismatch, -9 failed children).
]]
--- @include "includes/queueKeys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/releaseLock"
--- @include "includes/removeJobKeys"
--- @include "includes/removeParentDependency"
--- @include "includes/updateParentOnFinish"
--- @include "includes/requeueKeptJob"
--- @include "includes/fetchJobs"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local token = ARGV[3]
local now = tonumber(ARGV[4])
local target = ARGV[5]
local value = ARGV[6]
local keepCount = tonumber(ARGV[7])
local keepAge = tonumber(ARGV[8])
local keepLimit = tonumber(ARGV[9])
local attempts = tonumber(ARGV[10]) or 0
local stacktrace = ARGV[11]
local fetchCount = tonumber(ARGV[12])

if redis.call("EXISTS", jobKey) == 0 then return -1 end
if target == "completed" then
  if redis.call("SCARD", jobKey .. ":dependencies") ~= 0 then return -4 end
  if redis.call("ZCARD", jobKey .. ":unsuccessful") ~= 0 then return -9 end
end
local released = releaseLock(jobKey, Q.stalled, jobId, token)
if released < 0 then return released end
if redis.call("LREM", Q.active, -1, jobId) == 0 then return -3 end

local maxEvents = getOrSetMaxEvents(Q.meta)
redis.call("XTRIM", Q.events, "MAXLEN", "~", maxEvents)

local fields = redis.call("HMGET", jobKey, "parentKey", "parent", "deid")
-- a simple (no TTL) deduplication key is released when its owner finishes
if fields[3] then
  local dedupKey = Q.base .. "de:" .. fields[3]
  local owner = redis.call("GET", dedupKey)
  if owner == jobId and redis.call("PTTL", dedupKey) == -1 then
    redis.call("DEL", dedupKey)
  end
  if owner == jobId or not owner then requeueKeptJob(Q, fields[3], now, maxEvents) end
end
if fields[1] or fields[2] then
  updateParentOnFinish(jobKey, fields[1], fields[2], target, value, now)
end

local attemptsMade = redis.call("HINCRBY", jobKey, "atm", 1)
local targetKey = Q.completed
if target == "failed" then targetKey = Q.failed end

-- a job deleted by retention also leaves its parent's dependencies (a failed child without a parent
-- rule releases a parent that waited only for it, as in BullMQ)
local function removeFinishedJob(key)
  removeParentDependency(key, now)
  removeJobKeys(key)
end

if keepCount == 0 then
  removeFinishedJob(jobKey)
else
  redis.call("ZADD", targetKey, now, jobId)
  if target == "completed" then
    redis.call("HSET", jobKey, "returnvalue", value, "finishedOn", now)
  else
    if stacktrace ~= "" then
      redis.call("HSET", jobKey, "failedReason", value, "finishedOn", now, "stacktrace", stacktrace)
    else
      redis.call("HSET", jobKey, "failedReason", value, "finishedOn", now)
    end
    redis.call("HDEL", jobKey, "defa")
  end
  if keepAge > 0 then
    local old = redis.call("ZRANGEBYSCORE", targetKey, "-inf", now - keepAge * 1000, "LIMIT", 0, keepLimit)
    for _, id in ipairs(old) do removeFinishedJob(Q.base .. id) end
    if #old > 0 then redis.call("ZREM", targetKey, unpack(old)) end
  end
  if keepCount > 0 then
    local extra = redis.call("ZREVRANGE", targetKey, keepCount, -1)
    for _, id in ipairs(extra) do removeFinishedJob(Q.base .. id) end
    if #extra > 0 then redis.call("ZREMRANGEBYRANK", targetKey, 0, -(keepCount + 1)) end
  end
end

if target == "completed" then
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "completed", "jobId", jobId,
    "returnvalue", value, "prev", "active")
else
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "failed", "jobId", jobId,
    "failedReason", value, "prev", "active")
  if attemptsMade >= attempts then
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "retries-exhausted", "jobId", jobId,
      "attemptsMade", attemptsMade)
  end
end

if fetchCount > 0 then
  local next = fetchJobs(Q, token, tonumber(ARGV[13]), now, tonumber(ARGV[14]), tonumber(ARGV[15]), ARGV[16],
    fetchCount, maxEvents)
  -- a job, a rate limit, a delayed job due later or a paused/maxed queue is "something": no drained
  if #next > 2 or next[1] > 0 or next[2] > 0 or isQueuePausedOrMaxed(Q.meta, Q.active) then
    table.insert(next, 1, 0)
    return next
  end
end
if redis.call("LLEN", Q.wait) == 0 and redis.call("LLEN", Q.active) == 0 and redis.call("ZCARD", Q.prioritized) == 0 then
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "drained")
end
local nextDelayed = 0
local first = redis.call("ZRANGE", Q.delayed, 0, 0, "WITHSCORES")
if first[2] then nextDelayed = math.floor(tonumber(first[2]) / 0x1000) end
return { 0, 0, nextDelayed }
