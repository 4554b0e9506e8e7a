--[[
  Queue.upsertJobScheduler (wire-format §7.12): writes the scheduler (the `repeat` zset entry and
  the `repeat:<id>` hash, DEL + HSET, keeping `ic`) and creates its next iteration, replacing the
  iteration still pending from an earlier upsert (no event for the replaced one, as BullMQ).

  `every`: the next time is computed here. Unchanged schedule (same every, offset, startDate) with
  a pending iteration: the same millis again (idempotent). Unchanged schedule whose iteration
  already ran: the next slot of the same grid. New or changed: startDate when in the future, else
  the next `floor(now / every) * every + offset` slot when an offset is given, else now. A slot
  whose job id exists already (a finished iteration) is skipped, up to 32 slots. Without an offset
  given, the stored one is kept while the grid is (a pending iteration, or the same schedule);
  otherwise the new time's own (next mod every).
  `pattern`: the client computed the time (cron-parser or the user's strategy) and the one after
  it. A time whose job exists already (an iteration promoted and taken early) is an error for a
  new scheduler (BullMQ's -10); an existing one moves on to the following time (BullMQ overwrites
  the running job's hash and queues the same id twice: Conveyor does not).

  Reads:  active
  Writes: repeat, repeat:<id>, id, <job> (the iteration; the pending one it replaces is deleted),
          <job>:*, wait, prioritized, pc, delayed, marker, events, meta

  KEYS[1] the queue's `repeat` key
  ARGV[1] queue base "<prefix>:<queue>:"
  ARGV[2] scheduler id
  ARGV[3] JSON { name, data?, opts? (template opts JSON text), every? | pattern?, tz?, limit?,
          startDate?, endDate?, offset? (as given), nextMillis?, nextMillis2? (pattern), repeat
          (JSON text of the iteration's opts.repeat), now, tm? (trace context for the iteration) }
  Returns { jobId, jobHash } of the iteration created; 0 when the first time would be after
  endDate (nothing written); -10 (cron time taken) or -11 (32 slots taken): nothing written.
]]
--- @include "includes/keys"
--- @include "includes/schedulerIterationId"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/nextSlotAfter"
--- @include "includes/removeJobKeys"
--- @include "includes/addSchedulerIteration"

local Q = queueKeys(ARGV[1])
local schedulerId = ARGV[2]
local def = cjson.decode(ARGV[3])
local now = tonumber(def.now)
local schedulerKey = Q.base .. QK.scheduler .. schedulerId
local isCron = def.pattern ~= nil

-- the current iteration, and whether it is still waiting to run (then this upsert replaces it)
local prevMillis = redis.call("ZSCORE", Q.repeat_, schedulerId) or nil
local prevJobId
local prevPending = false
if prevMillis then
  prevJobId = schedulerIterationId(schedulerId, prevMillis)
  prevPending = redis.call("ZSCORE", Q.delayed, prevJobId) ~= false
    or redis.call("ZSCORE", Q.prioritized, prevJobId) ~= false
    or redis.call("LPOS", Q.wait, prevJobId) ~= false
  prevMillis = tonumber(prevMillis)
end

local function isTaken(millis)
  local jobId = schedulerIterationId(schedulerId, millis)
  if prevPending and jobId == prevJobId then return false end
  return redis.call("EXISTS", Q.base .. jobId) == 1
end

local nextMillis
local offset = 0
if isCron then
  nextMillis = tonumber(def.nextMillis)
  if isTaken(nextMillis) then
    if prevMillis == nil or def.nextMillis2 == nil then return -10 end
    nextMillis = tonumber(def.nextMillis2)
    if isTaken(nextMillis) then return -10 end
  end
else
  local every = tonumber(def.every)
  local old = redis.call("HMGET", schedulerKey, "every", "offset", "startDate")
  local unchanged = prevMillis ~= nil and tonumber(old[1]) == every
    and (def.offset == nil or tonumber(old[2]) == def.offset)
    and tonumber(old[3]) == def.startDate
  if unchanged then
    nextMillis = prevMillis
    if not prevPending then nextMillis = nextSlotAfter(prevMillis, every, now) end
  elseif def.startDate ~= nil and def.startDate > now then
    nextMillis = def.startDate
  elseif def.offset ~= nil then
    nextMillis = math.floor(now / every) * every + def.offset
    if nextMillis < now then nextMillis = nextMillis + every end
  else
    nextMillis = now
  end
  local tries = 1
  while isTaken(nextMillis) do
    if tries >= 32 then return -11 end
    tries = tries + 1
    nextMillis = nextMillis + every
  end
  offset = def.offset
  if offset == nil then
    if old[2] and (prevPending or unchanged) then
      offset = tonumber(old[2])
    else
      offset = nextMillis % every
    end
  end
end

if def.endDate ~= nil and nextMillis > def.endDate then return 0 end

if prevPending then
  redis.call("ZREM", Q.delayed, prevJobId)
  redis.call("ZREM", Q.prioritized, prevJobId)
  redis.call("LREM", Q.wait, 0, prevJobId)
  removeJobKeys(Q.base .. prevJobId)
end

local iterationCount = redis.call("HGET", schedulerKey, "ic") or 1
redis.call("DEL", schedulerKey)
local fields = { "name", def.name, "offset", offset, "ic", iterationCount }
local function field(name, value)
  if value ~= nil then
    fields[#fields + 1] = name
    fields[#fields + 1] = value
  end
end
field("every", def.every)
field("pattern", def.pattern)
field("tz", def.tz)
field("limit", def.limit)
field("startDate", def.startDate)
field("endDate", def.endDate)
field("opts", def.opts)
field("data", def.data)
redis.call("HSET", schedulerKey, unpack(fields))
redis.call("ZADD", Q.repeat_, nextMillis, schedulerId)

local jobId, hash = addSchedulerIteration(Q, schedulerId, nextMillis, now, def.name, def.data, def.opts,
  def["repeat"], isCron, getOrSetMaxEvents(Q.meta), def.tm)
return { jobId, hash }
