--[[
  Job.retry (wire-format §7.11 reprocessJob): a completed or failed job runs again. It loses
  finishedOn, processedOn and its returnvalue / failedReason (and, when asked, its attempt
  counters), becomes a pending dependency of its parent again, and goes to the back of the line:
  "wait" (front with lifo), or "prioritized" when it has a priority (as BullMQ 6.7).

  Reads:  active, <parent>
  Writes: <state> (ARGV[3]), <job>, wait, prioritized, pc, marker, events, meta,
          <parent>:processed, <parent>:failed, <parent>:unsuccessful, <parent>:dependencies

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] state it must be in: completed or failed
  ARGV[4] "1" = reset attemptsMade ("atm")
  ARGV[5] "1" = reset attemptsStarted ("ats")
  Returns 1, or -1 when the job does not exist, -3 when it is not in that state.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushToWait"
--- @include "includes/reattachToParent"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local state = ARGV[3]

if redis.call("EXISTS", jobKey) == 0 then return -1 end
if redis.call("ZREM", Q.base .. state, jobId) == 0 then return -3 end

local valueField = "returnvalue"
if state == "failed" then valueField = "failedReason" end
redis.call("HDEL", jobKey, "finishedOn", "processedOn", valueField)
if ARGV[4] == "1" then redis.call("HDEL", jobKey, "atm", "attemptsMade") end
if ARGV[5] == "1" then redis.call("HDEL", jobKey, "ats") end
reattachToParent(jobKey, state)

local fields = redis.call("HMGET", jobKey, "priority", "opts")
local priority = tonumber(fields[1] or 0) or 0
local ok, opts = pcall(cjson.decode, fields[2] or "{}")
local pushCmd = "LPUSH"
if ok and type(opts) == "table" and opts.lifo == true then pushCmd = "RPUSH" end
pushToWait(Q, jobId, priority, pushCmd, isQueuePausedOrMaxed(Q.meta, Q.active))
redis.call("XADD", Q.events, "MAXLEN", "~", getOrSetMaxEvents(Q.meta), "*", "event", "waiting",
  "jobId", jobId, "prev", state)
return 1
