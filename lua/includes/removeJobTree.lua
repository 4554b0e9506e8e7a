--[[
  Removes a job and, with `withChildren`, all its children recursively (pending, processed, failed
  and unsuccessful ones, in any queue), children first (wire-format §7.9). Children leave the job
  silently (it is being removed, not released). Each removed job leaves its state, gives up its
  owned deduplication id, loses its keys and gets a "removed" event (prev = the state it left) in
  its own queue. The job's own parent link is the caller's business.

  `base` and `id` name the job's queue and id (a child's are split from its key at the last colon).
  With `skipLocked`, a locked job stays with its own subtree and the rest goes (as BullMQ's
  removeUnprocessedChildren); without, the caller has made sure nothing in the tree is locked.
  `visited` (a table) guards against a job reached twice.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/removeJobFromState"
--- @include "includes/removeDeduplicationKeyIfOwned"
--- @include "includes/removeJobKeys"

-- every child key a job refers to, whatever became of the child
local function childKeysOf(key)
  local keys = redis.call("SMEMBERS", key .. JK.dependencies)
  for _, k in ipairs(redis.call("HKEYS", key .. JK.processed)) do keys[#keys + 1] = k end
  for _, k in ipairs(redis.call("HKEYS", key .. JK.failed)) do keys[#keys + 1] = k end
  for _, k in ipairs(redis.call("ZRANGE", key .. JK.unsuccessful, 0, -1)) do keys[#keys + 1] = k end
  return keys
end

local function removeJobTree(key, base, id, withChildren, skipLocked, visited)
  if visited[key] then return end
  visited[key] = true
  if redis.call("EXISTS", key) == 0 then return end
  if skipLocked and redis.call("EXISTS", key .. JK.lock) == 1 then return end
  if withChildren then
    for _, child in ipairs(childKeysOf(key)) do
      local cut = string.match(child, "^.*():")
      if cut then
        removeJobTree(child, string.sub(child, 1, cut), string.sub(child, cut + 1), true, skipLocked, visited)
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
