--[[
  Finishes active jobs as completed or failed, optionally fetching the next jobs in the same call
  (wire-format §7.4). Usually one job; a worker whose jobs end in the same tick finishes them all
  here (KEYS[2..]), one after the other exactly as separate calls would, and fetches once for all.

  Reads:  <job>:dependencies, <job>:unsuccessful (the finishing job's); in the parent's queue:
          failed
  Writes: <job>, <job>:lock, <job>:* (jobs retention removes), stalled, active, completed, failed,
          de:<id>, dn:<id>, id, metrics:<target>, metrics:<target>:data, wait, prioritized, pc,
          delayed, limiter, marker, events, meta, <parent>, <parent>:dependencies,
          <parent>:processed, <parent>:failed, <parent>:unsuccessful; in the parent's queue:
          waiting-children, delayed, wait, prioritized, pc, marker, events, meta

  KEYS[1] the job key; KEYS[2..n] the keys of further jobs finished in this call
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
  ARGV[12] fetch next: how many jobs to take (0 = none), less one for each job of the call that
           could not be finished (its slot is not free, or not yet)
  ARGV[13] lock duration ms
  ARGV[14] worker limiter max (0 = none)
  ARGV[15] worker limiter duration ms
  ARGV[16] worker name ("" = none)
  ARGV[17] metrics: max data points (0 = metrics off, nothing is recorded)
  ARGV[18] "<next atm>:<ats>": the job's "atm" once this finish counts (the one it had when the
           worker took it, plus one), if it had no parent and no deduplication id then and can
           never get either (a generated id: a flow attaches an existing job as a child by its
           custom id), "" = read the job's fields here; and its "ats" when the worker took it (its
           activation), "" = unknown
  ARGV[19..] a record for each further job, in KEYS order (its id is its key without ARGV[1]):
           "=<next atm>:<ats>" and its value when its lock token, target, keep count, keep age,
           keep limit, attempts and stacktrace are those of the job before it; else
           "*<next atm>:<ats>", its value and those seven (as ARGV[18], [6], [3], [5], [7]-[11]).
  Returns, for one job: { 0, rateLimitTtlMs, nextDelayedDueMs, jobId1, jobHash1 (JSON), ... } or a negative
          error code (-1 no job, -2 no lock, -3 not active, -4 pending children, -6 lock mismatch,
          -9 failed children);
          for several: { codes, rateLimitTtlMs, nextDelayedDueMs, jobId1, jobHash1, ... }, codes
          holding 0 or the error code of each job, or { codes } alone when none was finished.
]]
--- @include "includes/keys"
--- @include "includes/releaseLockHeldBy"
--- @include "includes/removeJobKeys"
--- @include "includes/removeParentDependency"
--- @include "includes/updateParentOnFinish"
--- @include "includes/requeueKeptJob"
--- @include "includes/fetchJobs"
--- @include "includes/collectMetrics"

local Q = queueKeys(ARGV[1])
local now = tonumber(ARGV[4])
-- the same instant as text, for what is written: a Lua number given to redis.call is formatted
-- with printf each time
local nowText = ARGV[4]
local maxDataPoints = tonumber(ARGV[17]) or 0
-- read once the first job is finished (a call that finishes nothing writes nothing)
local meta

-- The writes of a usual finish that nothing later in this call reads (the lock's DEL, the SREM
-- from stalled, the ZADD to completed/failed) are gathered and made together: one command for the
-- call instead of one per job. flush() makes them before anything that might read them (a parent's
-- update, deduplication, retention that trims, the fetch) and before the script returns; the
-- outcome is what one command per job would have left.
local pendingLocks, pendingStalled, pendingTargets = {}, {}, {}
local function flush()
  if #pendingLocks > 0 then
    redis.call("DEL", unpack(pendingLocks))
    pendingLocks = {}
  end
  if #pendingStalled > 0 then
    redis.call("SREM", Q.stalled, unpack(pendingStalled))
    pendingStalled = {}
  end
  for targetKey, members in pairs(pendingTargets) do
    redis.call("ZADD", targetKey, unpack(members))
  end
  pendingTargets = {}
end

-- Whether any job of the call may have dependencies (or failed ones): one EXISTS for all of them
-- when the first completion asks, valid until this call touches a parent (a child's finish can
-- add to its parent's ":unsuccessful"); then each job asks for itself again.
local depsCheckedForAll, anyDeps = false, true
local function touchesParents()
  depsCheckedForAll, anyDeps = true, true
end
local function mayHaveDeps(jobKey)
  if not depsCheckedForAll then
    depsCheckedForAll = true
    if #KEYS > 1 then
      local all = {}
      for k = 1, #KEYS do
        all[#all + 1] = KEYS[k] .. JK.dependencies
        all[#all + 1] = KEYS[k] .. JK.unsuccessful
      end
      anyDeps = redis.call("EXISTS", unpack(all)) > 0
      return anyDeps
    end
  end
  if not anyDeps then return false end
  return redis.call("EXISTS", jobKey .. JK.dependencies, jobKey .. JK.unsuccessful) > 0
end

-- a job deleted by retention also leaves its parent's dependencies (a failed child without a parent
-- rule releases a parent that waited only for it, as in BullMQ). Nothing gathered is read here, and
-- a parent only loses dependencies.
local function removeFinishedJob(key)
  removeParentDependency(key, now)
  removeJobKeys(key)
end

local NO_PARENT = { false, false, false }

-- reads meta once a job is finished
local function loadMeta()
  if meta then return end
  meta = readQueueMeta(Q.meta, true)
  -- a cap of 0 would delete each entry as it is added, before any reader saw it: as BullMQ, empty
  -- the stream first and add this call's entries uncapped
  if tonumber(meta.maxEvents) == 0 then
    redis.call("XTRIM", Q.events, "MAXLEN", 0)
    meta.maxEvents = 2147483647
  end
end

-- "<next atm>:<ats>" (ARGV[18]) from position `from` of `text`: the two as text
local function atmAndAts(text, from)
  local colon = string.find(text, ":", from, true)
  if not colon then return string.sub(text, from), "" end
  return string.sub(text, from, colon - 1), string.sub(text, colon + 1)
end

-- No XTRIM before the events: every XADD here trims the stream (MAXLEN ~) as it adds.
local function finishJob(jobKey, jobId, token, target, value, keepCount, keepAge, keepLimit, attempts, stacktrace,
    nextAtm, ats)
  local lockKey = jobKey .. JK.lock
  local holder = false
  if token ~= "0" then holder = redis.call("GET", lockKey) end
  -- parentKey, parent and deid, and what atm becomes
  local fields, attemptsMadeText
  if holder == token and nextAtm ~= "" then
    -- the usual case: still our lock, so the job exists (a locked job cannot be removed), and the
    -- worker knows the rest (no parent, no deduplication id)
    fields, attemptsMadeText = NO_PARENT, nextAtm
  else
    -- with two fields every job hash has (name, timestamp): one read instead of an EXISTS before it
    fields = redis.call("HMGET", jobKey, "parentKey", "parent", "deid", "atm", "name", "timestamp", "finishedOn", "ats")
    if not fields[5] and not fields[6] then return -1 end
    if not holder and token ~= "0" and ats ~= "" and fields[7] == nowText and fields[8] == ats then
      -- this very call finished the job already (its instant, and the activation this worker took:
      -- any later fetch of the job counts ats on), and ioredis sent it again after a reconnect
      -- because its reply was lost. The job is finished as asked; writing it again would
      -- duplicate events
      loadMeta()
      return 0
    end
    attemptsMadeText = tostring((tonumber(fields[4]) or 0) + 1)
  end
  if target == "completed" then
    -- a job without pending or failed children (the usual case) has neither key
    if mayHaveDeps(jobKey) then
      if redis.call("SCARD", jobKey .. JK.dependencies) ~= 0 then return -4 end
      if redis.call("ZCARD", jobKey .. JK.unsuccessful) ~= 0 then return -9 end
    end
  end
  if token ~= "0" and holder == token then
    pendingLocks[#pendingLocks + 1] = lockKey
    pendingStalled[#pendingStalled + 1] = jobId
  else
    local released = releaseLockHeldBy(jobKey, holder, Q.stalled, Q.active, jobId, token)
    if released < 0 then return released end
  end
  -- numbers given to redis.call are formatted with printf("%.17g") each time: constants go as text
  if redis.call("LREM", Q.active, "-1", jobId) == 0 then return -3 end

  loadMeta()
  local maxEvents = meta.maxEvents

  -- a simple (no TTL) deduplication key is released when its owner finishes
  if fields[3] then
    flush()
    touchesParents()
    local dedupKey = Q.base .. QK.dedup .. fields[3]
    local owner = redis.call("GET", dedupKey)
    if owner == jobId and redis.call("PTTL", dedupKey) == -1 then
      redis.call("DEL", dedupKey)
    end
    if owner == jobId or not owner then requeueKeptJob(Q, fields[3], now, maxEvents) end
  end
  if fields[1] or fields[2] then
    flush()
    touchesParents()
    updateParentOnFinish(jobKey, fields[1], fields[2], target, value, now)
  end

  -- atm is written with the other finish fields (a removed job needs none)
  local attemptsMade = tonumber(attemptsMadeText)
  local targetKey = Q.completed
  if target == "failed" then targetKey = Q.failed end

  if keepCount == 0 then
    if fields == NO_PARENT then
      -- no parent to leave: the keys go, nothing else to do
      removeJobKeys(jobKey)
    else
      removeFinishedJob(jobKey)
    end
  else
    if keepAge > 0 or keepCount > 0 then
      -- retention reads the set: everything gathered goes first
      flush()
      redis.call("ZADD", targetKey, nowText, jobId)
    else
      local members = pendingTargets[targetKey]
      if not members then
        members = {}
        pendingTargets[targetKey] = members
      end
      members[#members + 1] = nowText
      members[#members + 1] = jobId
    end
    if target == "completed" then
      redis.call("HSET", jobKey, "atm", attemptsMadeText, "returnvalue", value, "finishedOn", nowText)
    else
      if stacktrace ~= "" then
        redis.call("HSET", jobKey, "atm", attemptsMadeText, "failedReason", value, "finishedOn", nowText, "stacktrace",
          stacktrace)
      else
        redis.call("HSET", jobKey, "atm", attemptsMadeText, "failedReason", value, "finishedOn", nowText)
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
        "attemptsMade", attemptsMadeText)
    end
  end

  if maxDataPoints > 0 then collectMetrics(Q.base, target, maxDataPoints, now) end
  return 0
end

local token, target, keepCount, keepAge, keepLimit, attempts, stacktrace = ARGV[3], ARGV[5], tonumber(ARGV[7]),
  tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]) or 0, ARGV[11]
local firstAtm, firstAts = atmAndAts(ARGV[18] or "", 1)
local codes = { finishJob(KEYS[1], ARGV[2], token, target, ARGV[6], keepCount, keepAge, keepLimit, attempts, stacktrace,
  firstAtm, firstAts) }
local a = 19
local baseLength = #ARGV[1]
for k = 2, #KEYS do
  local head, value = ARGV[a], ARGV[a + 1]
  if string.byte(head, 1) == 42 then -- "*": the job's own token, target, retention, attempts, stacktrace
    token, target, keepCount, keepAge, keepLimit, attempts, stacktrace = ARGV[a + 2], ARGV[a + 3], tonumber(ARGV[a + 4]),
      tonumber(ARGV[a + 5]), tonumber(ARGV[a + 6]), tonumber(ARGV[a + 7]) or 0, ARGV[a + 8]
    a = a + 9
  else
    a = a + 2
  end
  local nextAtm, ats = atmAndAts(head, 2)
  codes[k] = finishJob(KEYS[k], string.sub(KEYS[k], baseLength + 1), token, target, value, keepCount, keepAge, keepLimit,
    attempts, stacktrace, nextAtm, ats)
end
-- a job refused after its lock was released (not active any more) leaves its writes gathered too
flush()
local finished = 0
for _, code in ipairs(codes) do
  if code == 0 then finished = finished + 1 end
end
local status = 0
if #KEYS > 1 then status = codes end
if finished == 0 then
  if #KEYS == 1 then return codes[1] end
  return { codes }
end

local maxEvents = meta.maxEvents
local fetchCount = tonumber(ARGV[12]) - (#KEYS - finished)
if fetchCount > 0 then
  local next = fetchJobs(Q, ARGV[3], ARGV[13], nowText, tonumber(ARGV[14]), tonumber(ARGV[15]), ARGV[16],
    fetchCount, meta)
  -- a job, a rate limit, a delayed job due later or a paused/maxed queue is "something": no drained
  if #next > 2 or next[1] > 0 or next[2] > 0 or isMetaPausedOrMaxed(meta, Q.active) then
    table.insert(next, 1, status)
    return next
  end
end
if redis.call("LLEN", Q.wait) == 0 and redis.call("LLEN", Q.active) == 0 and redis.call("ZCARD", Q.prioritized) == 0 then
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "drained")
end
local nextDelayed = 0
local first = redis.call("ZRANGE", Q.delayed, "0", "0", "WITHSCORES")
if first[2] then nextDelayed = math.floor(tonumber(first[2]) / 0x1000) end
return { status, 0, nextDelayed }
