--[[
  The deduplication step of an add (wire-format §7.2), between the id INCR and storing the job.
  "de:<id>" holds the id of the job that owns the deduplication id; "dn:<id>" the add kept for
  later by keepLastIfActive.

  de      the job's deduplication options { id, ttl?, extend?, replace?, keepLastIfActive?, reschedule? }
  jobId   the id the incoming job gets if it goes ahead
  job     the incoming job as addJobs takes it (name, data, opts, timestamp, delay, rjk?)
  Returns the owner's id when the incoming add is dropped (or kept in "dn:<id>"), nil when the
  incoming job goes ahead; it then owns the deduplication id.
]]
--- @include "includes/keys"
--- @include "includes/removeJobKeys"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"
local function deduplicateJob(Q, de, jobId, job, maxEvents)
  local dedupId = tostring(de.id)
  local dedupKey = Q.base .. QK.dedup .. dedupId
  local keptKey = Q.base .. QK.dedupNext .. dedupId
  local ttl = tonumber(de.ttl)
  if ttl and ttl <= 0 then ttl = nil end
  -- the owner holds the id until it finishes, however long it runs (BullMQ ignores ttl here too)
  if de.keepLastIfActive == true then ttl = nil end

  local function own(keepTtl)
    if keepTtl then
      redis.call("SET", dedupKey, jobId, "KEEPTTL")
    elseif ttl then
      redis.call("SET", dedupKey, jobId, "PX", ttl)
    else
      redis.call("SET", dedupKey, jobId)
    end
  end

  local function emitDeduplicated(keptId, droppedId)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "deduplicated", "jobId", keptId,
      "deduplicationId", dedupId, "deduplicatedJobId", droppedId)
  end

  local owner = redis.call("GET", dedupKey)
  -- an owner without expiry that no longer exists (deleted behind the scripts' back) would block
  -- the id for good: the incoming job takes over
  if owner and redis.call("PTTL", dedupKey) == -1 and redis.call("EXISTS", Q.base .. owner) == 0 then
    redis.call("DEL", dedupKey, keptKey)
    owner = nil
  end
  if not owner then
    own(false)
    return nil
  end

  if de.keepLastIfActive == true and redis.call("LPOS", Q.active, owner) then
    redis.call("DEL", keptKey)
    local kept = { "jid", jobId, "name", job.name, "data", job.data, "opts", job.opts }
    if job.rjk then kept[#kept + 1] = "rjk"; kept[#kept + 1] = job.rjk end
    redis.call("HSET", keptKey, unpack(kept))
    redis.call("PERSIST", dedupKey)
    emitDeduplicated(owner, jobId)
    return owner
  end

  if de.replace == true then
    -- only a job that has not started yet can be replaced; otherwise the add is dropped silently
    if not redis.call("ZSCORE", Q.delayed, owner) then return owner end
    redis.call("ZREM", Q.delayed, owner)
    removeJobKeys(Q.base .. owner)
    redis.call("DEL", keptKey)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "removed", "jobId", owner, "prev", "delayed")
    emitDeduplicated(jobId, owner)
    -- without extend the throttle window keeps running from the first add
    own(ttl ~= nil and de.extend ~= true)
    return nil
  end

  if ttl and de.extend == true then
    redis.call("SET", dedupKey, owner, "PX", ttl)
  end
  emitDeduplicated(owner, jobId)
  if de.reschedule == true and redis.call("ZSCORE", Q.delayed, owner) then
    local delay = tonumber(job.delay) or 0
    local due = tonumber(job.timestamp) + delay
    redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, due), owner)
    redis.call("HSET", Q.base .. owner, "delay", delay)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "delayed", "jobId", owner, "delay", due)
    addDelayMarkerIfNeeded(Q.marker, Q.delayed)
  end
  return owner
end
