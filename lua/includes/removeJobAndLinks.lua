--[[
  Deletes one job the way drain, clean and obliterate do: its owned deduplication key, its link in
  its parent (see purgeParentDependency: a parent in this queue left with nothing to wait for is
  deleted too, one elsewhere released), then the job's keys. No event.
]]
--- @include "includes/removeDeduplicationKeyIfOwned"
--- @include "includes/purgeParentDependency"
--- @include "includes/removeJobKeys"
local function removeJobAndLinks(Q, jobId, now)
  local jobKey = Q.base .. jobId
  removeDeduplicationKeyIfOwned(Q.base, jobKey, jobId)
  purgeParentDependency(jobKey, Q.base, now)
  removeJobKeys(jobKey)
end
