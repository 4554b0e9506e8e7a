--[[
  Deletes one job the way drain, clean and obliterate do: its owned deduplication key, its link in
  its parent (releasing a parent that waited only for it), then the job's keys. No event.
]]
--- @include "includes/removeDeduplicationKeyIfOwned"
--- @include "includes/removeParentDependency"
--- @include "includes/removeJobKeys"
local function removeJobAndLinks(Q, jobId, now)
  local jobKey = Q.base .. jobId
  removeDeduplicationKeyIfOwned(Q.base, jobKey, jobId)
  removeParentDependency(jobKey, now)
  removeJobKeys(jobKey)
end
