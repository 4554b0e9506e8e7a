--[[
  Worker fetch: moves up to ARGV[8] jobs to active and locks them (wire-format §7.3).

  Reads:  meta
  Writes: wait, prioritized, pc, delayed, active, limiter, <job>, <job>:lock, marker, events

  KEYS[1] meta key of the queue
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] lock token ("0" = no lock)
  ARGV[3] lock duration ms
  ARGV[4] now ms (worker clock)
  ARGV[5] worker limiter max (0 = none)
  ARGV[6] worker limiter duration ms (0 = none)
  ARGV[7] worker name ("" = none)
  ARGV[8] how many jobs to take at most
  Returns { rateLimitTtlMs, nextDelayedDueMs, jobId1, jobHash1 (JSON), ... } (see includes/fetchJobs).
]]
--- @include "includes/keys"
--- @include "includes/fetchJobs"

local Q = queueKeys(ARGV[1])
return fetchJobs(Q, ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]),
  ARGV[7], tonumber(ARGV[8]), readQueueMeta(Q.meta, false))
