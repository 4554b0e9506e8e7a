--[[
  Removes the jobs among the given ids that no state holds (Queue.removeOrphanedJobs): a job hash,
  or sub-keys of one, left behind by a removal that missed them (wire-format §1.3). A job is held
  when its id is in wait, paused, active, prioritized, delayed, completed, failed or
  waiting-children; each id is judged with the states as they are at this instant, so a job that
  moves between states meanwhile is never taken for an orphan.

  The id lists are long only in wait, paused and active, where finding an id costs a scan of the
  list. Those scans are paid from ARGV[3]: once they have cost that many list entries the script
  stops, and the caller sends the ids not yet judged again (Redis stays responsive however long
  the lists are).

  Reads:  completed, failed, delayed, prioritized, waiting-children, active, wait, paused
  Writes: <job>, <job>:lock, <job>:*

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] most orphans to remove (0 = no limit)
  ARGV[3] budget: list entries the scans may cost before the script stops
  ARGV[4..] job ids (candidates: a job hash or a job sub-key exists for each)
  Returns { removed, judged }: orphans removed, and how many ids (from the first) were judged.
]]
local base = ARGV[1]
local limit = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])

--- @include "includes/keys"

local Q = queueKeys(base)
local zsets = { Q.completed, Q.failed, Q.delayed, Q.prioritized, Q.waitingChildren }
local lists = { Q.active, Q.wait, Q.paused }
local listLengths = {}
for i, list in ipairs(lists) do listLengths[i] = redis.call("LLEN", list) end

local function isHeld(id)
  for _, zset in ipairs(zsets) do
    if redis.call("ZSCORE", zset, id) then return true end
  end
  for i, list in ipairs(lists) do
    if listLengths[i] > 0 then
      budget = budget - listLengths[i]
      if redis.call("LPOS", list, id) then return true end
    end
  end
  return false
end

local removed = 0
local judged = 0
for i = 4, #ARGV do
  if (limit > 0 and removed >= limit) or (budget <= 0 and judged > 0) then break end
  local id = ARGV[i]
  local jobKey = base .. id
  judged = judged + 1
  -- a key at the job's name that is not a hash is something else's: leave it and its sub-keys
  local kind = redis.call("TYPE", jobKey)["ok"]
  if (kind == "hash" or kind == "none") and not isHeld(id) then
    if redis.call("DEL", jobKey, unpack(jobSubKeys(jobKey))) > 0 then removed = removed + 1 end
  end
end
return { removed, judged }
