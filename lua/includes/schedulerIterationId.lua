--[[
  A job scheduler's iteration job id, "repeat:<schedulerId>:<millis>" (wire-format §7.12): its job
  hash sits beside the scheduler's "repeat:<schedulerId>" hash.
]]
--- @include "includes/keys"
local function schedulerIterationId(schedulerId, millis)
  return QK.schedulerIteration .. schedulerId .. ":" .. millis
end
