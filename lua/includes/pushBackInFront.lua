--[[
  Puts a job taken from active back in front of the queue without an attempt counted: ahead of
  every job of its priority (score priority * 2^32, below any counter-ordered score), or at the
  right end of wait, where workers take from.
]]
local function pushBackInFront(Q, jobKey, jobId)
  local priority = tonumber(redis.call("HGET", jobKey, "priority") or 0) or 0
  if priority > 0 then
    redis.call("ZADD", Q.prioritized, priority * 0x100000000, jobId)
  else
    redis.call("RPUSH", Q.wait, jobId)
  end
end
