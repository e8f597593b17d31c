--[[
  Releases a lock only if this holder still owns it (seed 000's Redis lock, made safe against a holder
  whose lease ran out and was taken over).

  KEYS[1]    lock key

  ARGV[1]    the holder's token

  Returns 1 when released, 0 when the lock belonged to someone else or had expired.
]]
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
