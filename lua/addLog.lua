--[[
  Job.log (wire-format §7.11): appends a line to "<job>:logs", then keeps only the newest
  keepLogs lines when the job's stored options set one ("kl"; 0 = no limit, as BullMQ).

  KEYS[1] the job key
  ARGV[1] the log line
  Returns the number of lines kept, or -1 when the job does not exist.
]]
local jobKey = KEYS[1]
if redis.call("EXISTS", jobKey) == 0 then return -1 end
local logsKey = jobKey .. ":logs"
local count = redis.call("RPUSH", logsKey, ARGV[1])
local ok, opts = pcall(cjson.decode, redis.call("HGET", jobKey, "opts") or "{}")
local keep = ok and type(opts) == "table" and tonumber(opts.kl) or nil
if keep and keep > 0 and count > keep then
  redis.call("LTRIM", logsKey, -keep, -1)
  count = keep
end
return count
