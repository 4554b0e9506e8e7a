--[[
  Releases a job's lock if `token` holds it: releaseLockHeldBy with the lock read here. Returns 0,
  -2 (no lock) or -6 (held by another).
]]
--- @include "includes/keys"
--- @include "includes/releaseLockHeldBy"

local function releaseLock(jobKey, stalledKey, activeKey, jobId, token)
  if token == "0" then return 0 end
  return releaseLockHeldBy(jobKey, redis.call("GET", jobKey .. JK.lock), stalledKey, activeKey, jobId, token)
end
