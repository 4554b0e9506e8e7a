--[[
  One batch of Queue.clean or Queue.drain over one state (wire-format §7.9): removes jobs older
  than a cutoff (clean) or all jobs (drain), never the pending iteration of a job scheduler, with
  their owned deduplication keys and parent links (removeJobAndLinks: a parent in this queue that
  waited only for removed jobs goes too, one elsewhere is released; neither is in the returned
  ids). Callers loop, passing back the returned offset, so no call holds Redis for long.

  Age: completed, failed, waiting-children use their score; wait, paused, active use finishedOn,
  else processedOn, else timestamp; delayed uses processedOn, else timestamp; prioritized uses
  timestamp. Active jobs are only removed when nobody holds their lock.

  Reads:  <job>:lock, repeat; in a released parent's queue: meta, active
  Writes: <state> (ARGV[2]), <job>, <job>:*, de:<id>, dn:<id>, events, <parent>:dependencies,
          <parent>, <parent>:* (a parent in this queue left with nothing to wait for goes too); in
          a parent's queue (it is deleted or released): waiting-children, wait, prioritized, pc,
          delayed, marker

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] state key suffix: completed, failed, waiting-children, wait, paused, active, delayed,
          prioritized
  ARGV[3] cutoff ms: jobs aged <= cutoff are removed
  ARGV[4] "1" = remove every job regardless of age, also ids without a job hash (drain)
  ARGV[5] most jobs to remove in this call
  ARGV[6] offset: how many jobs earlier calls examined and kept (from the oldest end)
  ARGV[7] most jobs to examine in this call
  ARGV[8] now ms (releasing a parent with a delay schedules it from now)
  ARGV[9] "always" = emit "cleaned" with the count (even 0), "ifany" = only when jobs went,
          "never" = no event
  Returns { nextOffset, done (1 = nothing left to examine), removedId1, removedId2, ... }.
]]
--- @include "includes/keys"
--- @include "includes/isCurrentSchedulerIteration"
--- @include "includes/removeJobAndLinks"

local Q = queueKeys(ARGV[1])
local kind = ARGV[2]
local key = Q.base .. kind
local cutoff = tonumber(ARGV[3])
local all = ARGV[4] == "1"
local limit = tonumber(ARGV[5])
local offset = tonumber(ARGV[6])
local window = tonumber(ARGV[7])
local now = tonumber(ARGV[8])

local AGE_FIELDS = {
  wait = { "finishedOn", "processedOn", "timestamp" },
  paused = { "finishedOn", "processedOn", "timestamp" },
  active = { "finishedOn", "processedOn", "timestamp" },
  delayed = { "processedOn", "timestamp" },
  prioritized = { "timestamp" },
}

-- whether the job with this id (no score-based age) should go
local function shouldRemove(jobId)
  local jobKey = Q.base .. jobId
  if string.sub(jobId, 1, 2) == "0:" then return all end
  if redis.call("EXISTS", jobKey) == 0 then return all end
  if isCurrentSchedulerIteration(Q, jobKey, jobId) then return false end
  if kind == "active" and redis.call("EXISTS", jobKey .. JK.lock) == 1 then return false end
  if all then return true end
  local values = redis.call("HMGET", jobKey, unpack(AGE_FIELDS[kind]))
  for _, v in ipairs(values) do
    if v then return tonumber(v) <= cutoff end
  end
  return false
end

local removed = {}
local nextOffset = offset
local done = 0

if kind == "completed" or kind == "failed" or kind == "waiting-children" then
  -- scores are timestamps: everything in range is old enough
  local maxScore = cutoff
  if all then maxScore = "+inf" end
  local ids = redis.call("ZRANGEBYSCORE", key, "-inf", maxScore, "LIMIT", offset, limit)
  for _, jobId in ipairs(ids) do
    local jobKey = Q.base .. jobId
    if isCurrentSchedulerIteration(Q, jobKey, jobId) then
      nextOffset = nextOffset + 1
    else
      removed[#removed + 1] = jobId
    end
  end
  if #ids < limit then done = 1 end
  for i = 1, #removed, 5000 do
    redis.call("ZREM", key, unpack(removed, i, math.min(i + 4999, #removed)))
  end
elseif kind == "delayed" or kind == "prioritized" then
  local ids = redis.call("ZRANGE", key, offset, offset + window - 1)
  local examined = 0
  for _, jobId in ipairs(ids) do
    if #removed >= limit then break end
    examined = examined + 1
    if shouldRemove(jobId) then removed[#removed + 1] = jobId end
  end
  nextOffset = offset + examined - #removed
  if #ids < window and examined == #ids then done = 1 end
  for i = 1, #removed, 5000 do
    redis.call("ZREM", key, unpack(removed, i, math.min(i + 4999, #removed)))
  end
else
  -- a list, examined from its oldest (tail) end; jobs kept by earlier calls sit at the very tail
  local region = redis.call("LRANGE", key, -(offset + window), -1)
  local windowSize = #region - offset
  if windowSize < 0 then windowSize = 0 end
  local drop = {}
  local examined = 0
  for i = windowSize, 1, -1 do
    if #removed >= limit then break end
    examined = examined + 1
    if shouldRemove(region[i]) then
      removed[#removed + 1] = region[i]
      drop[i] = true
    end
  end
  nextOffset = offset + examined - #removed
  if windowSize < window and examined == windowSize then done = 1 end
  if #removed > 0 then
    -- rebuild the examined end of the list without the removed ids, keeping the order
    local survivors = {}
    for i = 1, #region do
      if not drop[i] then survivors[#survivors + 1] = region[i] end
    end
    redis.call("LTRIM", key, 0, -(#region + 1))
    for i = 1, #survivors, 5000 do
      redis.call("RPUSH", key, unpack(survivors, i, math.min(i + 4999, #survivors)))
    end
  end
end

for _, jobId in ipairs(removed) do
  removeJobAndLinks(Q, jobId, now)
end

if ARGV[9] == "always" or (ARGV[9] == "ifany" and #removed > 0) then
  redis.call("XADD", Q.events, "*", "event", "cleaned", "count", #removed)
end

table.insert(removed, 1, done)
table.insert(removed, 1, nextOffset)
return removed
