--[[
  Renews the locks of all jobs a worker holds, in one call (wire-format §8).

  KEYS[1] the queue's stalled set
  ARGV[1] queue base
  ARGV[2] lock duration ms
  ARGV[3..] pairs of job id, token
  Returns the ids whose lock is no longer held by the given token.
]]
local base = ARGV[1]
local duration = ARGV[2]
local lost = {}
for i = 3, #ARGV, 2 do
  local jobId = ARGV[i]
  local token = ARGV[i + 1]
  local lockKey = base .. jobId .. ":lock"
  if redis.call("GET", lockKey) == token then
    -- PEXPIRE, not SET: Redis allows it when out of memory (noeviction), so locks outlive an OOM
    redis.call("PEXPIRE", lockKey, duration)
    redis.call("SREM", KEYS[1], jobId)
  else
    lost[#lost + 1] = jobId
  end
end
return lost
