--[[
  Releases a job's lock if `token` holds it, given `holder`, the lock's value as the caller read it
  (false when there is none). Returns 0, -2 (no lock) or -6 (held by another). Token "0" means the
  caller processes without a lock.

  A lock that ran out while its job is still in active was not taken over: nobody else got a token
  for the job since (the stalled checker would have moved it out of active first), so the holder's
  move goes through instead of being refused and the job run again. This is what a Redis frozen
  or a worker stalled past lockDuration leaves behind until the stalled checker comes round.
]]
--- @include "includes/keys"
local function releaseLockHeldBy(jobKey, holder, stalledKey, activeKey, jobId, token)
  if token == "0" then return 0 end
  if holder == token then
    redis.call("DEL", jobKey .. JK.lock)
    redis.call("SREM", stalledKey, jobId)
    return 0
  end
  if holder then return -6 end
  if redis.call("LPOS", activeKey, jobId) then
    redis.call("SREM", stalledKey, jobId)
    return 0
  end
  return -2
end
