--[[
  Creates a job scheduler's next iteration when a worker has taken the current one (wire-format
  §7.12). Only the current iteration moves the schedule on: the activated job id must be
  "repeat:<id>:<score in repeat>", so however many workers race, and whether the job is a stalled
  one taken again, each iteration yields one successor. A scheduler removed meanwhile yields none.

  `every`: next = the current time + every (or the first slot of that grid at or after now when
  workers were late). `pattern`: the client computed the time with cron-parser.
  An existing job at the next id (BullMQ got there first, say) is reported as "duplicated".

  Reads:  active
  Writes: repeat, repeat:<id>, id, <job> (the next iteration), wait, prioritized, pc, delayed,
          marker, events, meta

  KEYS[1] the queue's `repeat` key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] scheduler id
  ARGV[3] id of the activated iteration
  ARGV[4] now ms
  ARGV[5] next time ms for a cron scheduler, "" for `every`
  ARGV[6] JSON text of the next iteration's opts.repeat (its count included)
  ARGV[7] trace context the activated iteration carries (its opts.tm), carried on; "" for none
  Returns { jobId, jobHash } of the new iteration, or "" when none was created.
]]
--- @include "includes/keys"
--- @include "includes/schedulerIterationId"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/nextSlotAfter"
--- @include "includes/addSchedulerIteration"

local Q = queueKeys(ARGV[1])
local schedulerId = ARGV[2]
local now = tonumber(ARGV[4])
local schedulerKey = Q.base .. QK.scheduler .. schedulerId

local current = redis.call("ZSCORE", Q.repeat_, schedulerId)
if not current or ARGV[3] ~= schedulerIterationId(schedulerId, current) then return "" end
local s = redis.call("HMGET", schedulerKey, "name", "data", "opts", "every", "endDate")
if not s[1] then return "" end

local nextMillis
local isCron = ARGV[5] ~= ""
if isCron then
  nextMillis = tonumber(ARGV[5])
elseif s[4] then
  nextMillis = nextSlotAfter(tonumber(current), tonumber(s[4]), now)
else
  return ""
end
if s[5] and nextMillis > tonumber(s[5]) then return "" end

local maxEvents = getOrSetMaxEvents(Q.meta)
local nextJobId = schedulerIterationId(schedulerId, nextMillis)
if redis.call("EXISTS", Q.base .. nextJobId) == 1 then
  redis.call("XADD", Q.events, "MAXLEN", "~", maxEvents, "*", "event", "duplicated", "jobId", nextJobId)
  return ""
end

redis.call("ZADD", Q.repeat_, nextMillis, schedulerId)
redis.call("HINCRBY", schedulerKey, "ic", 1)
-- a missing data/opts field reads as false, which addSchedulerIteration takes as absent
local jobId, hash = addSchedulerIteration(Q, schedulerId, nextMillis, now, s[1], s[2], s[3], ARGV[6], isCron, maxEvents, ARGV[7])
return { jobId, hash }
