--[[
  Lists the jobs in active whose lock holds one of a worker's tokens (`<worker id>:<n>`), with
  the token and the job's `ats`: the first half of a reclaim after a reconnect (wire-format §8.1).
  The worker keeps those it does not hold and hands them back with reclaimJobs.

  Reads:  active, <job>:lock, <job>
  Writes: nothing

  KEYS[1] the queue's active list (it routes the call on a cluster)
  ARGV[1] queue base
  ARGV[2] the worker's token prefix, "<worker id>:"
  Returns { jobId1, token1, ats1, jobId2, ... }, newest in active first.
]]
--- @include "includes/keys"

local Q = queueKeys(ARGV[1])
local prefix = ARGV[2]
local found = {}
for _, jobId in ipairs(redis.call("LRANGE", Q.active, 0, -1)) do
  local jobKey = Q.base .. jobId
  local holder = redis.call("GET", jobKey .. JK.lock)
  if holder and string.sub(holder, 1, #prefix) == prefix then
    -- ats moves on at every activation: reclaimJobs acts only on the activation seen here
    local ats = redis.call("HGET", jobKey, "ats")
    if ats then
      found[#found + 1] = jobId
      found[#found + 1] = holder
      found[#found + 1] = ats
    end
  end
end
return found
