--[[
  Queue.getRateLimitTtl (wire-format §10.2): how long the rate limit still holds.

  Reads:  meta, limiter
  Writes: nothing

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] max jobs per window ("" = the global rate limit's, meta "max")
  Returns, with a max known: the limiter's remaining ms once the window has used the max up, else
  0; with no max known: the limiter's PTTL as Redis answers it (-2 = no limiter, -1 = no expiry),
  as bullmq 6.7 does.
]]
--- @include "includes/keys"

local Q = queueKeys(ARGV[1])
local maxJobs = tonumber(ARGV[2]) or tonumber(redis.call("HGET", Q.meta, "max"))
if maxJobs then
  local started = tonumber(redis.call("GET", Q.limiter) or 0) or 0
  if started < maxJobs then return 0 end
  local ttl = redis.call("PTTL", Q.limiter)
  if ttl > 0 then return ttl end
  return 0
end
return redis.call("PTTL", Q.limiter)
