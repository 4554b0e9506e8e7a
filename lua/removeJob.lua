--[[
  Queue.remove / Job.remove (wire-format §7.9): removes a job from whatever state holds it, and
  with ARGV[3] = "1" all its children recursively (pending, processed, failed and unsuccessful ones,
  in any queue). Detaches the job from its parent (a parent waiting only for it is released),
  drops owned deduplication keys, deletes the keys and emits "removed" (prev = the state it left)
  in each removed job's own queue.

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] job id
  ARGV[3] "1" = remove children too, "0" = leave them
  ARGV[4] now ms
  Returns 1 when removed (also when the job did not exist), 0 when the job or (with children) a
  descendant is locked by a worker (then nothing was written), -8 when the job is the pending
  iteration of a job scheduler.
]]
--- @include "includes/queueKeys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isCurrentSchedulerIteration"
--- @include "includes/removeJobFromState"
--- @include "includes/removeDeduplicationKeyIfOwned"
--- @include "includes/removeParentDependency"
--- @include "includes/removeJobKeys"

local jobKey = KEYS[1]
local Q = queueKeys(ARGV[1])
local jobId = ARGV[2]
local withChildren = ARGV[3] == "1"
local now = tonumber(ARGV[4])

if redis.call("EXISTS", jobKey) == 0 then return 1 end
if isCurrentSchedulerIteration(Q, jobKey, jobId) then return -8 end

-- every child key a job refers to, whatever became of the child
local function childKeys(key)
  local keys = redis.call("SMEMBERS", key .. ":dependencies")
  for _, k in ipairs(redis.call("HKEYS", key .. ":processed")) do keys[#keys + 1] = k end
  for _, k in ipairs(redis.call("HKEYS", key .. ":failed")) do keys[#keys + 1] = k end
  for _, k in ipairs(redis.call("ZRANGE", key .. ":unsuccessful", 0, -1)) do keys[#keys + 1] = k end
  return keys
end

local function isLocked(key, visited)
  if visited[key] then return false end
  visited[key] = true
  if redis.call("EXISTS", key .. ":lock") == 1 then return true end
  if withChildren then
    for _, child in ipairs(childKeys(key)) do
      if isLocked(child, visited) then return true end
    end
  end
  return false
end

if isLocked(jobKey, {}) then return 0 end

local function splitJobKey(key)
  local cut = string.match(key, "^.*():")
  return string.sub(key, 1, cut), string.sub(key, cut + 1)
end

-- children go first and silently leave their parent (it is being removed, not released)
local function removeTree(key, base, id, visited)
  if visited[key] then return end
  visited[key] = true
  if redis.call("EXISTS", key) == 0 then return end
  if withChildren then
    for _, child in ipairs(childKeys(key)) do
      if string.match(child, "^.*():") then
        local childBase, childId = splitJobKey(child)
        removeTree(child, childBase, childId, visited)
      end
    end
  end
  local J = queueKeys(base)
  local prev = removeJobFromState(J, id)
  removeDeduplicationKeyIfOwned(base, key, id)
  removeJobKeys(key)
  redis.call("XADD", J.events, "MAXLEN", "~", getOrSetMaxEvents(J.meta), "*", "event", "removed",
    "jobId", id, "prev", prev)
end

removeParentDependency(jobKey, now)
removeTree(jobKey, Q.base, jobId, {})
return 1
