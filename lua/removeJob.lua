--[[
  Queue.remove / Job.remove (wire-format §7.9): removes a job from whatever state holds it, and
  with ARGV[3] = "1" all its children recursively (pending, processed, failed and unsuccessful ones,
  in any queue). Detaches the job from its parent (a parent waiting only for it is released),
  drops owned deduplication keys, deletes the keys and emits "removed" (prev = the state it left)
  in each removed job's own queue.

  Reads:  <job>:lock, repeat, <parent>; in a released parent's queue: active
  Writes: in the queue of each job removed (the job, its children): <job>, <job>:*, completed,
          failed, delayed, prioritized, wait, paused, active, waiting-children, de:<id>, dn:<id>,
          events, meta; <parent>:dependencies; in a released parent's queue: waiting-children,
          wait, prioritized, pc, delayed, marker, events, meta

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] "1" = remove children too, "0" = leave them
  ARGV[4] now ms
  Returns 1 when removed (also when the job did not exist), 0 when the job or (with children) a
  descendant is locked by a worker (then nothing was written), -8 when the job is the pending
  iteration of a job scheduler.
]]
--- @include "includes/keys"
--- @include "includes/isCurrentSchedulerIteration"
--- @include "includes/removeParentDependency"
--- @include "includes/removeJobTree"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local withChildren = ARGV[3] == "1"
local now = tonumber(ARGV[4])

if redis.call("EXISTS", jobKey) == 0 then return 1 end
if isCurrentSchedulerIteration(Q, jobKey, jobId) then return -8 end

local function isLocked(key, visited)
  if visited[key] then return false end
  visited[key] = true
  if redis.call("EXISTS", key .. JK.lock) == 1 then return true end
  if withChildren then
    for _, child in ipairs(childKeysOf(key)) do
      if isLocked(child, visited) then return true end
    end
  end
  return false
end

if isLocked(jobKey, {}) then return 0 end

removeParentDependency(jobKey, now)
removeJobTree(jobKey, Q.base, jobId, withChildren, false, {})
return 1
