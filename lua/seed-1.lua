--[[
  Loads one SKU counter from the truth. A counter of the same or a newer epoch wins: a slower loader
  holding an older truth must never overwrite a fresher one.

  KEYS[1]    SKU counter hash

  ARGV[1]    epoch of this truth
  ARGV[2]    available
  ARGV[3]    reserved
  ARGV[4]    sold
  ARGV[5]    unlimited (0/1)
  ARGV[6]    floor (minus the backorder limit)
  ARGV[7]    name ("" when none)
  ARGV[8]    hot-SKU throttle, attempts per second; absent or 0 for none (stored as t only when set,
             and a reload starts the throttle's schedule afresh)

  Returns 1 when loaded, 0 when a counter of this epoch or newer was already there.
]]
local current = tonumber(redis.call("HGET", KEYS[1], "e"))
if current and current >= tonumber(ARGV[1]) then return 0 end
redis.call("DEL", KEYS[1])
redis.call("HSET", KEYS[1], "e", ARGV[1], "a", ARGV[2], "r", ARGV[3], "s", ARGV[4], "u", ARGV[5], "f", ARGV[6], "n", ARGV[7])
local throttle = tonumber(ARGV[8])
if throttle and throttle > 0 then redis.call("HSET", KEYS[1], "t", throttle) end
return 1
