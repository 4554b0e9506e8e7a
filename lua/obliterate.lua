--[[
  One batch of Queue.obliterate (wire-format §7.9): deletes up to ARGV[3] jobs, then, once no job
  is left, every queue-level key. The first call pauses the queue (the same effects as pause), so
  no worker takes a job while later batches run.

  Per job: the owned deduplication key and the link in its parent go with it (purgeParentDependency:
  a parent here left with nothing to wait for is deleted too, one in another queue is released);
  active jobs lose their lock. As in BullMQ, jobs in waiting-children are not visited: a parent
  still waiting for children in other queues stays (with its keys and "waiting-children") and runs
  once they finish. Not deleted either (as BullMQ): "limiter" and deduplication keys of no
  remaining job.

  Reads:  in a released parent's queue: meta, active
  Writes: meta, marker, events, active, delayed, repeat, repeat:<id>, completed, wait, paused,
          prioritized, failed, waiting-children, stalled-check, stalled, id, pc, delay (legacy),
          metrics:<target>, metrics:<target>:data, <job>, <job>:lock, <job>:*, de:<id>, dn:<id>,
          <parent>:dependencies, <parent>, <parent>:* (a parent in this queue left with nothing to
          wait for); in a released parent's queue: waiting-children, wait, prioritized, pc,
          delayed, marker

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] "1" = also delete active jobs, "0" = refuse while any job is active
  ARGV[3] most jobs to delete in this call
  ARGV[4] now ms
  Returns 0 when the queue is gone, 1 when jobs remain (call again), or "active" when refused
  (then nothing was written).
]]
--- @include "includes/keys"
--- @include "includes/removeJobAndLinks"

local Q = queueKeys(ARGV[1])
local force = ARGV[2] == "1"
local budget = tonumber(ARGV[3])
local now = tonumber(ARGV[4])

if not force and redis.call("LLEN", Q.active) > 0 then return "active" end

if redis.call("HEXISTS", Q.meta, "paused") == 0 then
  redis.call("HSET", Q.meta, "paused", 1)
  redis.call("DEL", Q.marker)
  redis.call("XADD", Q.events, "*", "event", "paused")
end

local function deleteFromList(key, withLocks)
  if budget <= 0 then return end
  local ids = redis.call("LRANGE", key, -budget, -1)
  if #ids == 0 then return end
  redis.call("LTRIM", key, 0, -(#ids + 1))
  for _, jobId in ipairs(ids) do
    if withLocks then redis.call("DEL", Q.base .. jobId .. JK.lock) end
    removeJobAndLinks(Q, jobId, now)
  end
  budget = budget - #ids
end

local function deleteFromZset(key)
  if budget <= 0 then return end
  local ids = redis.call("ZRANGE", key, 0, budget - 1)
  if #ids == 0 then return end
  for i = 1, #ids, 5000 do
    redis.call("ZREM", key, unpack(ids, i, math.min(i + 4999, #ids)))
  end
  for _, jobId in ipairs(ids) do removeJobAndLinks(Q, jobId, now) end
  budget = budget - #ids
end

local function deleteSchedulers()
  if budget <= 0 then return end
  local ids = redis.call("ZRANGE", Q.repeat_, 0, budget - 1)
  if #ids == 0 then return end
  for _, schedulerId in ipairs(ids) do redis.call("DEL", Q.base .. QK.scheduler .. schedulerId) end
  for i = 1, #ids, 5000 do
    redis.call("ZREM", Q.repeat_, unpack(ids, i, math.min(i + 4999, #ids)))
  end
  budget = budget - #ids
end

deleteFromList(Q.active, true)
deleteFromZset(Q.delayed)
deleteSchedulers()
deleteFromZset(Q.completed)
deleteFromList(Q.wait, false)
deleteFromList(Q.paused, false)
deleteFromZset(Q.prioritized)
deleteFromZset(Q.failed)

if redis.call("EXISTS", Q.active, Q.delayed, Q.repeat_, Q.completed, Q.wait, Q.paused, Q.prioritized,
    Q.failed) > 0 then
  return 1
end

local completedMetrics = Q.base .. QK.metrics .. QK.completed
local failedMetrics = Q.base .. QK.metrics .. QK.failed
redis.call("DEL", Q.events, Q.base .. QK.legacyDelay, Q.stalledCheck, Q.stalled, Q.id, Q.pc, Q.marker, Q.meta,
  completedMetrics, completedMetrics .. QK.metricsData, failedMetrics, failedMetrics .. QK.metricsData)
return 0
