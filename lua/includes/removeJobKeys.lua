--[[
  Deletes a job and its sub-keys (not ":lock", which expires by itself).
]]
--- @include "includes/keys"
local function removeJobKeys(jobKey)
  return redis.call("DEL", jobKey, jobKey .. JK.logs, jobKey .. JK.dependencies, jobKey .. JK.processed,
    jobKey .. JK.failed, jobKey .. JK.unsuccessful)
end
