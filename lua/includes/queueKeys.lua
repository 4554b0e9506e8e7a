--[[
  All keys of one queue, from its base "<prefix>:<queue>:" (wire-format §1.2).
  Scripts receive the base as ARGV and derive keys here, so key names live in one Lua place.
]]
local function queueKeys(base)
  return {
    base = base,
    wait = base .. "wait",
    paused = base .. "paused",
    active = base .. "active",
    prioritized = base .. "prioritized",
    pc = base .. "pc",
    delayed = base .. "delayed",
    completed = base .. "completed",
    failed = base .. "failed",
    waitingChildren = base .. "waiting-children",
    marker = base .. "marker",
    meta = base .. "meta",
    events = base .. "events",
    id = base .. "id",
    stalled = base .. "stalled",
    stalledCheck = base .. "stalled-check",
    limiter = base .. "limiter",
    repeat_ = base .. "repeat"
  }
end
