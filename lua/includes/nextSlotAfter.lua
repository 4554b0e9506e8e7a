--[[
  The next slot of an `every` schedule after `prev`: prev + every, or, when that is already past
  (workers were away), the first slot of the same grid (prev + k * every) at or after `now`, so a
  late schedule catches up with one iteration instead of a burst.
]]
local function nextSlotAfter(prev, every, now)
  local nextMillis = prev + every
  if nextMillis < now then
    nextMillis = prev + math.ceil((now - prev) / every) * every
  end
  return nextMillis
end
