--[[
  Adds one or more jobs atomically (Queue.add and Queue.addBulk; wire-format §7.1).

  Reads:  <parent>, completed, active
  Writes: id, <job>, wait, prioritized, pc, delayed, marker, events, meta, <parent>:dependencies,
          <parent>:processed, de:<id>, dn:<id>, <owner>:* (a delayed deduplication owner replaced)

  KEYS[1] meta key of the queue (routes the call; every other key derives from ARGV[1])
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] JSON array of jobs, each:
          { name, data (JSON text), opts (JSON text, stored as is), timestamp, delay, priority,
            lifo (bool), id (custom id or absent), rid? (set: the add's counter value was
            reserved beforehand and id is set, do not INCR the counter), parentKey?,
            parent? (JSON text), rjk?, de? (deduplication options, never with a parent) }
  Returns an array with one job id per job (an existing id for a duplicate custom id, the owner's
          id for a deduplicated add), or { code, i } naming the i-th job (1-based) when the add is
          refused: -5 its parent does not exist, -7 its custom id is a job that belongs to another
          live parent. Both are checked before anything is written.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushToWait"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"
--- @include "includes/deduplicateJob"

local Q = queueKeys(ARGV[1])
local jobs = cjson.decode(ARGV[2])

-- Check every parent before writing anything, so a bulk add is all or nothing.
for i, job in ipairs(jobs) do
  if job.parentKey then
    if redis.call("EXISTS", job.parentKey) == 0 then return { -5, i } end
    if job.id and job.id ~= "" then
      local currentParent = redis.call("HGET", Q.base .. job.id, "parentKey")
      if currentParent and currentParent ~= job.parentKey and redis.call("EXISTS", currentParent) == 1 then
        return { -7, i }
      end
    end
  end
end

local maxEvents = getOrSetMaxEvents(Q.meta)
local pausedOrMaxed = isQueuePausedOrMaxed(Q.meta, Q.active)
local ids = {}

for i, job in ipairs(jobs) do
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
        return { -7, i }
      end
      redis.call("HSET", jobKey, "parentKey", job.parentKey, "parent", job.parent)
      if redis.call("ZSCORE", Q.completed, jobId) then
        redis.call("HSET", job.parentKey .. JK.processed, jobKey, redis.call("HGET", jobKey, "returnvalue") or "null")
      else
        redis.call("SADD", job.parentKey .. JK.dependencies, jobKey)
      end
    end
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "duplicated", "jobId", jobId)
  else
    local owner = nil
    if job.de then owner = deduplicateJob(Q, job.de, jobId, job, maxEvents) end
    if owner then
      jobId = owner
    else
      local delay = tonumber(job.delay) or 0
      local priority = tonumber(job.priority) or 0
      local fields = { "name", job.name, "data", job.data, "opts", job.opts, "timestamp", job.timestamp,
        "delay", delay, "priority", priority }
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

      if delay > 0 then
        local due = tonumber(job.timestamp) + delay
        redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, due), jobId)
        redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "delayed", "jobId", jobId, "delay", due)
        addDelayMarkerIfNeeded(Q.marker, Q.delayed)
      else
        local pushCmd = "LPUSH"
        if job.lifo then pushCmd = "RPUSH" end
        pushToWait(Q, jobId, priority, pushCmd, pausedOrMaxed)
        redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId)
      end
      if job.parentKey then
        redis.call("SADD", job.parentKey .. JK.dependencies, jobKey)
      end
    end
  end
  ids[i] = jobId
end

return ids
