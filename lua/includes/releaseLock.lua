--[[
  Releases a job's lock if `token` holds it. Returns 0, -2 (no lock) or -6 (held by another).
  Token "0" means the caller processes without a lock.
]]
local function releaseLock(jobKey, stalledKey, jobId, token)
  if token == "0" then return 0 end
  local lockKey = jobKey .. ":lock"
  local holder = redis.call("GET", lockKey)
  if holder == token then
    redis.call("DEL", lockKey)
    redis.call("SREM", stalledKey, jobId)
    return 0
  end
  if holder then return -6 end
  return -2
end
