--[[
  Deletes the replay filter of an earlier layout once nothing has touched it for long enough: instances
  of an earlier version read and write it in every take (and make it anew), so one idle that long has
  none taking (src/sync/replay-filter.ts). Atomic, so no take of theirs falls between the look and the
  delete; in the filter's own slot in a Redis Cluster.

  KEYS[1]    the earlier layout's filter (src/gate/keys.ts, earlierReplayFilter)

  ARGV[1]    idle seconds after which it is deleted. OBJECT IDLETIME subtracts whole seconds of the
             wall clock (the second of the last touch from this one), so a reading of n means more than
             n - 1 seconds: only a reading past ARGV[1] proves ARGV[1] seconds untouched.

  Returns 0 when it is not there (any more), 1 while it stays: touched within ARGV[1] seconds, or on a
  server whose LFU eviction policy tracks no idle time (an operator deletes it there).
]]
if redis.call("EXISTS", KEYS[1]) == 0 then return 0 end
local idle = redis.pcall("OBJECT", "IDLETIME", KEYS[1])
if type(idle) ~= "number" or idle <= tonumber(ARGV[1]) then return 1 end
redis.call("DEL", KEYS[1])
return 0
