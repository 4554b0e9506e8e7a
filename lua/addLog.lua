--[[
  Job.log and Job.addJobLog (wire-format §7.11): appends a line to "<job>:logs", then keeps only
  the newest keepLogs lines (0 = no limit, as BullMQ).

  Reads:  <job>
  Writes: <job>:logs

  KEYS[1] the job key
  ARGV[1] the log line
  ARGV[2] keepLogs (optional): absent = the job's stored option ("kl"); "" = no limit
  Returns the number of lines kept, or -1 when the job does not exist.
]]
--- @include "includes/keys"
local jobKey = KEYS[1]
if redis.call("EXISTS", jobKey) == 0 then return -1 end
local logsKey = jobKey .. JK.logs
local count = redis.call("RPUSH", logsKey, ARGV[1])
local keep = nil
if ARGV[2] then
  keep = tonumber(ARGV[2])
else
  local ok, opts = pcall(cjson.decode, redis.call("HGET", jobKey, "opts") or "{}")
  keep = ok and type(opts) == "table" and tonumber(opts.kl) or nil
end
if keep and keep > 0 and count > keep then
  redis.call("LTRIM", logsKey, -keep, -1)
  count = keep
end
return count
