--[[
  Adds one or more flows atomically (FlowProducer.add / addBulk; wire-format §7.1, §7.13): every
  node of every flow, in any number of queues, or nothing at all.

  Nodes come parents first (breadth first per flow). A node with children waits in its queue's
  "waiting-children" (score = its timestamp); a leaf goes to wait / prioritized / delayed. Each
  child's key joins its parent's ":dependencies". A node whose id already exists is re-used: it is
  attached to its new parent (a completed one straight into the parent's ":processed") and gets a
  "duplicated" event. Last, each parent of the flow that has no pending dependency left (all its
  children were re-used, completed jobs) is released at once (wire-format §0.1 deferred release).
  A node with deduplication options (only ever one without children or parent) goes through the
  deduplication step of an add (includes/deduplicateJob): when an owner keeps the id, the node is
  not stored and its id in the reply is the owner's.

  Reads:  completed, active, <parent> (a flow's existing parent)
  Writes: in each node's queue: id, <job>, wait, prioritized, pc, delayed, waiting-children,
          marker, events, meta, de:<id>, dn:<id>, <owner>:* (a delayed deduplication owner
          replaced); <parent>:dependencies, <parent>:processed

  KEYS[1] meta key of the first node's queue (routes the call; every other key comes from ARGV)
  ARGV[1] JSON array of nodes, each:
          { base ("<prefix>:<queue>:"), id, name, data (JSON text), opts (JSON text, stored as is),
            timestamp, delay, priority, lifo?, parentKey?, parent? (JSON text),
            waitChildren? (has children in the flow), externalParent? (parentKey names a job that
            must exist already), de? (deduplication options) }
  ARGV[2] now ms
  Returns { 0, index1, ownerId1, index2, ownerId2, ... }: the nodes folded into an existing job by
          deduplication, with that job's id; or { code, index of the node } when a check failed,
          then nothing was written: -5 a node's existing parent is missing, -7 a re-used node
          belongs to another live parent.
]]
--- @include "includes/keys"
--- @include "includes/getOrSetMaxEvents"
--- @include "includes/isQueuePausedOrMaxed"
--- @include "includes/pushToWait"
--- @include "includes/getDelayedScore"
--- @include "includes/addDelayMarkerIfNeeded"
--- @include "includes/moveParentToWait"
--- @include "includes/deduplicateJob"

local nodes = cjson.decode(ARGV[1])
local now = tonumber(ARGV[2])

-- Every check runs before the first write: a flow is all or nothing.
for i, node in ipairs(nodes) do
  if node.externalParent and redis.call("EXISTS", node.parentKey) == 0 then
    return { -5, i }
  end
  local jobKey = node.base .. node.id
  if node.parentKey and redis.call("EXISTS", jobKey) == 1 then
    local current = redis.call("HGET", jobKey, "parentKey")
    if current and current ~= node.parentKey and redis.call("EXISTS", current) == 1 then
      return { -7, i }
    end
  end
end

-- per-queue facts that no write below changes
local queues = {}
local function queueOf(base)
  local Q = queues[base]
  if not Q then
    Q = queueKeys(base)
    Q.maxEvents = getOrSetMaxEvents(Q.meta)
    Q.pausedOrMaxed = isQueuePausedOrMaxed(Q.meta, Q.active)
    queues[base] = Q
  end
  return Q
end

local function emit(Q, ...)
  redis.call("XADD", Q.events, "MAXLEN", "~", Q.maxEvents, "*", "event", ...)
end

local function attachReused(Q, node, jobKey)
  redis.call("HSET", jobKey, "parentKey", node.parentKey, "parent", node.parent)
  if redis.call("ZSCORE", Q.completed, node.id) then
    redis.call("HSET", node.parentKey .. JK.processed, jobKey, redis.call("HGET", jobKey, "returnvalue") or "null")
  else
    redis.call("SADD", node.parentKey .. JK.dependencies, jobKey)
  end
end

local function insert(Q, node, jobKey)
  local delay = tonumber(node.delay) or 0
  local priority = tonumber(node.priority) or 0
  -- numbers the producer sent as text are written as they are (see payload.ts scriptNumber)
  local fields = { "name", node.name, "data", node.data, "opts", node.opts, "timestamp", node.timestamp,
    "delay", node.delay or delay, "priority", node.priority or priority }
  if node.parentKey then
    fields[#fields + 1] = "parentKey"; fields[#fields + 1] = node.parentKey
    fields[#fields + 1] = "parent"; fields[#fields + 1] = node.parent
  end
  if node.de then
    fields[#fields + 1] = "deid"; fields[#fields + 1] = tostring(node.de.id)
  end
  redis.call("HSET", jobKey, unpack(fields))
  emit(Q, "added", "jobId", node.id, "name", node.name)

  if node.waitChildren then
    -- its delay and priority apply when its children release it (moveParentToWait)
    redis.call("ZADD", Q.waitingChildren, node.timestamp, node.id)
    emit(Q, "waiting-children", "jobId", node.id)
  elseif delay > 0 then
    local due = tonumber(node.timestamp) + delay
    redis.call("ZADD", Q.delayed, getDelayedScore(Q.delayed, due), node.id)
    emit(Q, "delayed", "jobId", node.id, "delay", due)
    addDelayMarkerIfNeeded(Q.marker, Q.delayed)
  else
    local pushCmd = "LPUSH"
    if node.lifo then pushCmd = "RPUSH" end
    pushToWait(Q, node.id, priority, pushCmd, Q.pausedOrMaxed)
    emit(Q, "waiting", "jobId", node.id)
  end
  if node.parentKey then
    redis.call("SADD", node.parentKey .. JK.dependencies, jobKey)
  end
end

local reply = { 0 }
for i, node in ipairs(nodes) do
  local Q = queueOf(node.base)
  -- every add attempt counts, as in Queue.add (flow ids are UUIDs, the counter still moves)
  redis.call("INCR", Q.id)
  local jobKey = node.base .. node.id
  if redis.call("EXISTS", jobKey) == 1 then
    if node.parentKey then attachReused(Q, node, jobKey) end
    emit(Q, "duplicated", "jobId", node.id)
  else
    local owner = nil
    if node.de then owner = deduplicateJob(Q, node.de, node.id, node, Q.maxEvents) end
    if owner then
      reply[#reply + 1] = i
      reply[#reply + 1] = owner
    else
      insert(Q, node, jobKey)
    end
  end
end

-- deferred release: parents of this flow (and a flow's existing parent) left with nothing to wait for
local function releaseIfNothingPending(parentQueueKey, parentKey, parentId)
  if redis.call("ZSCORE", parentQueueKey .. ":" .. QK.waitingChildren, parentId)
    and redis.call("SCARD", parentKey .. JK.dependencies) == 0 then
    moveParentToWait(parentQueueKey, parentKey, parentId, now)
  end
end

for _, node in ipairs(nodes) do
  if node.waitChildren then
    releaseIfNothingPending(string.sub(node.base, 1, -2), node.base .. node.id, node.id)
  end
  if node.externalParent then
    local parent = cjson.decode(node.parent)
    releaseIfNothingPending(parent.queueKey, node.parentKey, parent.id)
  end
end

return reply
