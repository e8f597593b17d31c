--[[
  Releases locks only where this holder still owns them (seed 000's Redis lock, made safe against a
  holder whose lease ran out and was taken over). Many at once: a bulk change holds one load lock per
  SKU (10,000 for a setStockBatch), one call each would cost more than the change's own statements.

  KEYS[1], KEYS[2], ...  lock keys (one slot in a Redis Cluster)

  ARGV[1]    the holder's token

  Returns per key 1 when released, 0 when the lock belonged to someone else or had expired.
]]
local released = {}
for i, key in ipairs(KEYS) do
  if redis.call("GET", key) == ARGV[1] then
    released[i] = redis.call("DEL", key)
  else
    released[i] = 0
  end
end
return released
