--[[
  Job.moveToWaitingChildren (wire-format §7.11): an active job that still has pending children
  (or, when a child key is given, whose given child is still pending) leaves `active` for
  `waiting-children`; its lock is released. Otherwise it stays active.

  Reads:  <job>, <job>:unsuccessful, <job>:dependencies
  Writes: <job>:lock, stalled, active, waiting-children, events, meta

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] lock token ("0" = no lock check)
  ARGV[4] child job key to wait for ("" = any pending child)
  ARGV[5] now ms
  Returns 0 when moved, 1 when nothing is pending (the job stays active), or -1 (no job),
          -2 (no lock), -3 (not active), -6 (lock held by another token), -9 (a child failed
          with failParentOnFailure).
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/releaseLock"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local token = ARGV[3]
local childKey = ARGV[4]
local now = tonumber(ARGV[5])

if redis.call("EXISTS", jobKey) == 0 then return -1 end
if redis.call("ZCARD", jobKey .. JK.unsuccessful) ~= 0 then return -9 end

local depsKey = jobKey .. JK.dependencies
local pending
if childKey ~= "" then
  pending = redis.call("SISMEMBER", depsKey, childKey) == 1
else
  pending = redis.call("SCARD", depsKey) > 0
end
if not pending then return 1 end

local released = releaseLock(jobKey, Q.stalled, Q.active, jobId, token)
if released < 0 then return released end
if redis.call("LREM", Q.active, -1, jobId) == 0 then return -3 end
redis.call("ZADD", Q.waitingChildren, now, jobId)
redis.call("XADD", Q.events, "MAXLEN", "~", getOrSetMaxEvents(Q.meta), "*", "event", "waiting-children",
  "jobId", jobId, "prev", "active")
return 0
