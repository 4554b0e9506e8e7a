--[[
  Job.updateData (wire-format §7.11): replaces the job's data.

  Reads:  nothing
  Writes: <job>

  KEYS[1] the job key
  ARGV[1] data as JSON
  Returns 0, or -1 when the job does not exist.
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
redis.call("HSET", KEYS[1], "data", ARGV[1])
return 0
