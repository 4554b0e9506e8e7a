--[[
  Where a job's parent lives, from the job's "parentKey" and "parent" (JSON) fields: the parent's
  key, its queue's qualified name "<prefix>:<queue>" and its id; nil when the job has no parent.
  The JSON wins (it names the queue exactly); else the key is split at its last colon.
]]
local function parseParentRef(parentKey, parentJson)
  local ok, parent = pcall(cjson.decode, parentJson or "")
  if not ok or type(parent) ~= "table" then parent = {} end
  if type(parent.id) == "string" and type(parent.queueKey) == "string" then
    return parent.queueKey .. ":" .. parent.id, parent.queueKey, parent.id
  end
  if not parentKey or parentKey == "" then return nil end
  local cut = string.match(parentKey, "^.*():")
  if not cut then return nil end
  return parentKey, string.sub(parentKey, 1, cut - 1), string.sub(parentKey, cut + 1)
end
