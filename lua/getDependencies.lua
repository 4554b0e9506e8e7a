--[[
  One page of a parent's children with their job hashes (Queue.getDependencies), read at one
  instant: processed children from the parent's ":processed" hash (child key -> return value), or
  pending ones from its ":dependencies" set (wire-format §1.3).

  Reads:  <parent>:processed (KEYS[1]), <parent>:dependencies (KEYS[1]), <child>
  Writes: nothing

  KEYS[1] the parent's ":processed" hash or ":dependencies" set
  ARGV[1] "processed" or "pending"
  ARGV[2] start (from 0; negative = 0)
  ARGV[3] end (-1 = the last; another negative gives nothing)
  Returns { total, { { childKey, returnValue or false, jobHash (flat) }, ... } }.
]]
local processed = ARGV[1] == "processed"
local first = math.max(tonumber(ARGV[2]), 0)
local last = tonumber(ARGV[3])

local members
local values = {}
if processed then
  local flat = redis.call("HGETALL", KEYS[1])
  members = {}
  for i = 1, #flat, 2 do
    members[#members + 1] = flat[i]
    values[#members] = flat[i + 1]
  end
else
  members = redis.call("SMEMBERS", KEYS[1])
end

local total = #members
if last == -1 or last >= total then last = total - 1 end

local page = {}
for i = first + 1, last + 1 do
  local childKey = members[i]
  page[#page + 1] = { childKey, values[i] or false, redis.call("HGETALL", childKey) }
end
return { total, page }
