--[[
  Job.removeUnprocessedChildren (wire-format §7.9), one page of the job's pending children
  (":dependencies", SSCAN from cursor ARGV[4], about ARGV[5] of them). Each child that has not run
  (not locked, not active, not completed, not failed) is removed with its own children (locked
  descendants stay), emitting "removed" in its queue, and leaves the job's dependencies; a child
  whose hash is gone just leaves them. When nothing is pending any more and the job waits in
  waiting-children, it is released (event "waiting prev waiting-children"), as Job.remove of its
  last child would. A job that does not exist is left alone, as BullMQ does.

  Reads:  <job>, <child>:lock
  Writes: <job>:dependencies; in the job's queue when it is released: waiting-children, wait,
          prioritized, pc, delayed, marker, events, meta; in the queue of each child removed:
          <child>, <child>:*, completed, failed, delayed, prioritized, wait, paused, active,
          waiting-children, de:<id>, dn:<id>, events, meta

  KEYS[1] the job key
  ARGV[1] queue base "<prefix>:<queue>:" of the job
  ARGV[2] job id
  ARGV[3] now ms
  ARGV[4] SSCAN cursor ("0" to start)
  ARGV[5] SSCAN count hint
  Returns the next cursor ("0" when every pending child was looked at).
]]
--- @include "includes/keys"
--- @include "includes/moveParentToWait"
--- @include "includes/removeJobTree"

local jobKey = KEYS[1]
local base = ARGV[1]
local jobId = ARGV[2]
local now = tonumber(ARGV[3])
local depsKey = jobKey .. JK.dependencies

if redis.call("EXISTS", jobKey) == 0 then return "0" end

-- the child leaves the job's dependencies, and the job is released if that was the last one,
-- before the child's own removal (the order of bullmq's events)
local function detach(childKey)
  redis.call("SREM", depsKey, childKey)
  if redis.call("SCARD", depsKey) == 0 and redis.call("ZSCORE", base .. QK.waitingChildren, jobId) then
    moveParentToWait(string.sub(base, 1, -2), jobKey, jobId, now)
  end
end

local page = redis.call("SSCAN", depsKey, ARGV[4], "COUNT", tonumber(ARGV[5]))
for _, childKey in ipairs(page[2]) do
  local cut = string.match(childKey, "^.*():")
  if redis.call("EXISTS", childKey) == 0 or not cut then
    detach(childKey)
  elseif redis.call("EXISTS", childKey .. JK.lock) == 0 then
    local childBase, childId = string.sub(childKey, 1, cut), string.sub(childKey, cut + 1)
    if not redis.call("ZSCORE", childBase .. QK.completed, childId)
      and not redis.call("ZSCORE", childBase .. QK.failed, childId)
      and not redis.call("LPOS", childBase .. QK.active, childId) then
      detach(childKey)
      removeJobTree(childKey, childBase, childId, true, true, {})
    end
  end
end
return page[1]
