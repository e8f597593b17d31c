--[[
  Takes locks for a holder where nobody holds them (seed 000's Redis lock: SET NX with a lease). Many
  at once, as unlock.lua releases them: one call instead of one command per lock.

  KEYS[1], KEYS[2], ...  lock keys (one slot in a Redis Cluster)

  ARGV[1]    the holder's token
  ARGV[2]    the lease, ms

  Returns per key 1 when taken, 0 when someone holds it.
]]
local taken = {}
for i, key in ipairs(KEYS) do
  taken[i] = redis.call("SET", key, ARGV[1], "PX", ARGV[2], "NX") and 1 or 0
end
return taken
