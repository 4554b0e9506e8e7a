--[[
  keepLastIfActive (wire-format §7.2): an add deduplicated while the owner was active waits in
  "dn:<dedupId>" (name, data, opts, jid = the id reserved for it, optional pk/pd/pdk parent and rjk).
  When the owner finishes it becomes a real job: created now, owning the deduplication id (no
  expiry), queued per its own options (delayed, prioritized, or wait; lifo honoured).
]]
--- @include "includes/keys"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushToWait"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"
local function requeueKeptJob(Q, dedupId, now, maxEvents)
  local nextKey = Q.base .. QK.dedupNext .. dedupId
  local flat = redis.call("HGETALL", nextKey)
  if #flat == 0 then return end
  redis.call("DEL", nextKey)
  local kept = {}
  for i = 1, #flat, 2 do kept[flat[i]] = flat[i + 1] end

  local counter = redis.call("INCR", Q.id)
  local jobId = kept.jid or tostring(counter)
  local jobKey = Q.base .. jobId
  if redis.call("EXISTS", jobKey) == 1 then return end

  local optsJson = kept.opts or "{}"
  local ok, opts = pcall(cjson.decode, optsJson)
  if not ok or type(opts) ~= "table" then opts = {} end
  local delay = tonumber(opts.delay) or 0
  local priority = tonumber(opts.priority) or 0
  local name = kept.name or ""
  local fields = { "name", name, "data", kept.data or "{}", "opts", optsJson, "timestamp", now,
    "delay", delay, "priority", priority, "deid", dedupId }
  if kept.pk then
    fields[#fields + 1] = "parentKey"; fields[#fields + 1] = kept.pk
    if kept.pd then fields[#fields + 1] = "parent"; fields[#fields + 1] = kept.pd end
  end
  if kept.rjk then fields[#fields + 1] = "rjk"; fields[#fields + 1] = kept.rjk end
  redis.call("HSET", jobKey, unpack(fields))
  redis.call("SET", Q.base .. QK.dedup .. dedupId, jobId)
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "added", "jobId", jobId, "name", name)

  if delay > 0 then
    local due = now + delay
    redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, due), jobId)
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "delayed", "jobId", jobId, "delay", due)
    addDelayMarkerIfNeeded(Q.marker, Q.delayed)
  else
    local pushCmd = "LPUSH"
    if opts.lifo == true then pushCmd = "RPUSH" end
    pushToWait(Q, jobId, priority, pushCmd, isQueuePausedOrMaxed(Q.meta, Q.active))
    redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId)
  end
  if kept.pk then
    redis.call("SADD", kept.pdk or (kept.pk .. JK.dependencies), jobKey)
  end
end
