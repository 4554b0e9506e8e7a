--[[
  Adds jobs (Queue.add, Queue.addBulk, Job.create and Job.createBulk; wire-format §7.1), in one
  of two modes:
  - all or nothing (ARGV[3] absent; addBulk, createBulk): every parent is checked before anything
    is written, and a refusal writes nothing;
  - each on its own (ARGV[3] "each"; single adds the producer sent together, job/add-batcher.ts):
    each job is checked right before it is written, as if its add ran alone after the ones before
    it, and a job that is refused (or whose writes raise an error) leaves the others written.

  Reads:  <parent>, completed, active
  Writes: id, <job>, wait, prioritized, pc, delayed, marker, events, meta, <parent>:dependencies,
          <parent>:processed, de:<id>, dn:<id>, <owner>:* (a delayed deduplication owner replaced)

  KEYS[1] meta key of the queue (routes the call; every other key derives from ARGV[1])
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] JSON array of jobs, each:
          { name, data (JSON text), opts (JSON text, stored as is), timestamp, delay, priority
            (each text or number), lifo (bool), id (custom id or absent), rid? (set: the add's
            counter value was reserved beforehand and id is set, do not INCR the counter),
            parentKey?, parent? (JSON text), rjk?, de? (deduplication options, never with a
            parent) }
  ARGV[3] "each" for each job on its own, else absent
  Returns one entry per job: its id (an existing id for a duplicate custom id, the owner's id for
          a deduplicated add). Refusals: -5 its parent does not exist, -7 its custom id is a job
          that belongs to another live parent.
          All or nothing: the ids, or { code, i } naming the i-th job (1-based) refused; nothing
          is written then.
          Each on its own: per job its id (a string), its refusal code (an integer), or { text }
          when its writes raised the error `text`.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushReady"
--- @include "includes/addBaseMarkerIfNeeded"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"
--- @include "includes/deduplicateJob"

local Q = queueKeys(ARGV[1])
local jobs = cjson.decode(ARGV[2])
local each = ARGV[3] == "each"

-- the refusal code of a job: -5 its parent does not exist, -7 its custom id is a job of another
-- live parent; nil when it may go in
local function refusal(job)
  if redis.call("EXISTS", job.parentKey) == 0 then return -5 end
  if job.id and job.id ~= "" then
    local currentParent = redis.call("HGET", Q.base .. job.id, "parentKey")
    if currentParent and currentParent ~= job.parentKey and redis.call("EXISTS", currentParent) == 1 then
      return -7
    end
  end
  return nil
end

if not each then
  -- Check every parent before writing anything, so a bulk add is all or nothing.
  for i, job in ipairs(jobs) do
    local code = job.parentKey and refusal(job)
    if code then return { code, i } end
  end
end

local maxEvents = getOrSetMaxEvents(Q.meta)
local pausedOrMaxed = isQueuePausedOrMaxed(Q.meta, Q.active)

-- Writes one job. Returns its id and where it went ("ready", "delayed", or nil: it existed or was
-- deduplicated), or nil and -7.
local function addJob(job)
  local jobId = job.id
  if job.rid then
    -- the producer reserved this add's counter value beforehand (INCRBY) and sent it as the id of
    -- a job without a jobId, so a resent add finds its job below instead of adding it twice
  else
    local counter = redis.call("INCR", Q.id)
    if not jobId or jobId == "" then jobId = tostring(counter) end
  end
  local jobKey = Q.base .. jobId

  if redis.call("EXISTS", jobKey) == 1 then
    if job.parentKey then
      -- attach an existing job to a parent (re-used child); only when it has no other live parent
      local currentParent = redis.call("HGET", jobKey, "parentKey")
      if currentParent and currentParent ~= job.parentKey and redis.call("EXISTS", currentParent) == 1 then
        -- only when a job earlier in this bulk made the id (the check above saw the others)
        return nil, -7
      end
      redis.call("HSET", jobKey, "parentKey", job.parentKey, "parent", job.parent)
      if redis.call("ZSCORE", Q.completed, jobId) then
        redis.call("HSET", job.parentKey .. JK.processed, jobKey, redis.call("HGET", jobKey, "returnvalue") or "null")
      else
        redis.call("SADD", job.parentKey .. JK.dependencies, jobKey)
      end
    end
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "duplicated", "jobId", jobId)
    return jobId
  end

  if job.de then
    local owner = deduplicateJob(Q, job.de, jobId, job, maxEvents)
    if owner then return owner end
  end
  local delay = tonumber(job.delay) or 0
  local priority = tonumber(job.priority) or 0
  -- numbers the producer sent as text are written as they are (see payload.ts scriptNumber)
  local fields = { "name", job.name, "data", job.data, "opts", job.opts, "timestamp", job.timestamp,
    "delay", job.delay or delay, "priority", job.priority or priority }
  if job.parentKey then
    fields[#fields + 1] = "parentKey"; fields[#fields + 1] = job.parentKey
    fields[#fields + 1] = "parent"; fields[#fields + 1] = job.parent
  end
  if job.rjk then
    fields[#fields + 1] = "rjk"; fields[#fields + 1] = job.rjk
  end
  if job.de then
    fields[#fields + 1] = "deid"; fields[#fields + 1] = tostring(job.de.id)
  end
  redis.call("HSET", jobKey, unpack(fields))
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "added", "jobId", jobId, "name", job.name)

  local went
  if delay > 0 then
    local due = tonumber(job.timestamp) + delay
    redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, due), jobId)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "delayed", "jobId", jobId, "delay", due)
    went = "delayed"
  else
    local pushCmd = "LPUSH"
    if job.lifo then pushCmd = "RPUSH" end
    pushReady(Q, jobId, priority, pushCmd)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId)
    went = "ready"
  end
  if job.parentKey then
    redis.call("SADD", job.parentKey .. JK.dependencies, jobKey)
  end
  return jobId, nil, went
end

-- "each" mode: a job checked right before it is written, as addJob's results; run under pcall,
-- so an error its check raises (a key of another type) is its own as much as its writes' errors
local function checkThenAddJob(job)
  local code = job.parentKey and refusal(job)
  if code then return nil, code end
  return addJob(job)
end

-- the markers are written once, after the jobs: one went to wait (or prioritized), one to delayed
local results, ready, delayed = {}, false, false
for i, job in ipairs(jobs) do
  local ok, jobId, code, went = true, nil, nil, nil
  if each then
    ok, jobId, code, went = pcall(checkThenAddJob, job)
  else
    jobId, code, went = addJob(job)
  end
  if not ok then
    -- what its writes raised: redis.call raises a table { err }, Lua itself a string
    if type(jobId) == "table" and jobId.err then jobId = jobId.err end
    results[i] = { tostring(jobId) }
    -- it may have been pushed before the error; a marker with nothing behind it only wakes a worker
    ready, delayed = true, true
  elseif code and not each then
    -- -7 for an id an earlier job of this bulk made; those jobs stay written
    results = { code, i }
    break
  else
    results[i] = jobId or code
    if went == "ready" then ready = true elseif went == "delayed" then delayed = true end
  end
end

if ready then addBaseMarkerIfNeeded(Q.marker, pausedOrMaxed) end
if delayed then addDelayMarkerIfNeeded(Q.marker, Q.delayed) end
return results
