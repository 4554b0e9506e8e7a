--[[
  Job.removeDeduplicationKey (wire-format §7.2): frees the deduplication id only while this job
  still owns it, so a newer owner keeps deduplicating.

  Reads:  nothing
  Writes: de:<id> (KEYS[1])

  KEYS[1] the deduplication key "<prefix>:<queue>:de:<id>"
  ARGV[1] job id
  Returns 1 when the key was deleted, 0 when another job (or none) owned it.
]]

if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0
