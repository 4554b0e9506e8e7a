--[[
  Creates one job scheduler iteration (wire-format §7.12): job id "repeat:<schedulerId>:<millis>",
  built from the scheduler's template (name, data, opts) with `rjk` = the scheduler id. INCRs `id`
  like every add, emits "added", then puts the job in `delayed` (due at `millis`) or, when due
  already, in wait/prioritized.

  `repeatJson` is the iteration's opts.repeat (with its `count`); cron iterations also carry
  `prevMillis` (BullMQ's cron reads it to compute the next time). `tm`, when not nil or "", is the
  trace context the iteration carries (opts.tm), as BullMQ's iterations carry their upsert's.
  Returns the job id and the job hash (flat).
]]
--- @include "includes/schedulerIterationId"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushToWait"
local function addSchedulerIteration(Q, schedulerId, millis, now, name, data, templateOpts, repeatJson, isCron, maxEvents, tm)
  local jobId = schedulerIterationId(schedulerId, millis)
  local jobKey = Q.base .. jobId
  local delay = millis - now
  if delay < 0 then delay = 0 end

  local opts = {}
  if templateOpts then opts = cjson.decode(templateOpts) end
  -- "repeat" is a Lua keyword, hence the brackets
  opts["repeat"] = cjson.decode(repeatJson)
  opts.repeatJobKey = schedulerId
  opts.jobId = jobId
  opts.timestamp = now
  opts.delay = delay
  if isCron then opts.prevMillis = millis end
  if tm and tm ~= "" then opts.tm = tm end
  if opts.attempts == nil then opts.attempts = 0 end
  local priority = tonumber(opts.priority) or 0

  redis.call("INCR", Q.id)
  redis.call("HSET", jobKey, "name", name, "data", data or "{}", "opts", cjson.encode(opts), "timestamp", now,
    "delay", delay, "priority", priority, "rjk", schedulerId)
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "added", "jobId", jobId, "name", name)
  if delay > 0 then
    redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, millis), jobId)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "delayed", "jobId", jobId, "delay", millis)
    addDelayMarkerIfNeeded(Q.marker, Q.delayed)
  else
    local pushCmd = "LPUSH"
    if opts.lifo then pushCmd = "RPUSH" end
    pushToWait(Q, jobId, priority, pushCmd, isQueuePausedOrMaxed(Q.meta, Q.active))
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId)
  end
  return jobId, redis.call("HGETALL", jobKey)
end
