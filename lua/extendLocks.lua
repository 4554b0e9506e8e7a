--[[
  Renews the locks of all jobs a worker holds, in one call (wire-format §8).

  Reads:  active
  Writes: <job>:lock, stalled (KEYS[1])

  KEYS[1] the queue's stalled set
  ARGV[1] queue base
  ARGV[2] lock duration ms
  ARGV[3..] pairs of job id, token
  Returns the ids whose lock is no longer held by the given token.

  A lock that ran out while its job stayed in active (Redis frozen, or this worker stalled, past
  lockDuration) is taken again: no other worker got the job since, or it would have left active
  through the stalled checker first (see includes/releaseLock).
]]
--- @include "includes/keys"
local base = ARGV[1]
local duration = ARGV[2]
local activeKey = base .. QK.active
local lost = {}
for i = 3, #ARGV, 2 do
  local jobId = ARGV[i]
  local token = ARGV[i + 1]
  local lockKey = base .. jobId .. JK.lock
  local holder = redis.call("GET", lockKey)
  if holder == token then
    -- PEXPIRE, not SET: Redis allows it when out of memory (noeviction), so locks outlive an OOM
    redis.call("PEXPIRE", lockKey, duration)
    redis.call("SREM", KEYS[1], jobId)
  elseif not holder and redis.call("LPOS", activeKey, jobId) then
    redis.call("SET", lockKey, token, "PX", duration)
    redis.call("SREM", KEYS[1], jobId)
  else
    lost[#lost + 1] = jobId
  end
end
return lost
