--[[
  Loads one SKU counter from the truth, for the holder of its load lock only. A counter of the same or
  a newer epoch wins: a slower loader holding an older truth must never overwrite a fresher one. And a
  loader whose lock lapsed (it stalled past its lease, or a flush wiped the lock) must not write at all:
  while it stalled, a change may have committed under its epoch whose delivery the outbox kept only
  while the lock was held (src/sync/outbox.ts), so its truth may lack that change for good.

  A SKU split into buckets (src/gate/buckets.ts) has one counter per bucket: the first (bucket 0) is
  loaded under the lock as above, and carries the bucket count; the others receive no committed change
  (apply-2.lua adds changes to the first), so nothing can be lost by a stalled loader there, and the
  epoch alone orders their loaders: they are loaded without the lock (ARGV[10] "").

  KEYS[1]    SKU counter hash (of one bucket)
  KEYS[2]    the SKU's load lock (a bucket past the first: any key of its slot, unread)
  KEYS[3]    the gate's generation (adopt-3.lua), which the counter is loaded under (its g)

  ARGV[1]    epoch of this truth
  ARGV[2]    the gate's share of available (available - withheld)
  ARGV[3]    reserved
  ARGV[4]    sold
  ARGV[5]    unlimited (0/1)
  ARGV[6]    floor (minus the backorder limit)
  ARGV[7]    name ("" when none)
  ARGV[8]    hot-SKU throttle, attempts per second; 0 for none (stored as t only when set, and a
             reload starts the throttle's schedule afresh)
  ARGV[9]    units withheld for the database-only path (stored as h only when not 0)
  ARGV[10]   the loader's lock token; "" for a bucket past the first
  ARGV[11]   the SKU's bucket count (stored as nb only when over 1, on the first bucket)
  ARGV[12]   the SKU's throttle as set, on the first bucket of a SKU in buckets (stored as ts; each
             bucket's t is its part of it); 0 otherwise

  ARGV[13]   1 when the counter keeps stock per location (includes/locations.lua), else 0
  ARGV[14]   its active locations in allocation order, comma-separated (when ARGV[13] is 1)
  ARGV[15..] the gate's share in each of them, in that order (they add up to ARGV[2])
  Returns 1 when loaded, 0 when a counter of this epoch or newer was already there, -1 when the
  caller does not hold the load lock.
]]
if ARGV[10] ~= "" and redis.call("GET", KEYS[2]) ~= ARGV[10] then return -1 end
local current = tonumber(redis.call("HGET", KEYS[1], "e"))
if current and current >= tonumber(ARGV[1]) then return 0 end
redis.call("DEL", KEYS[1])
local generation = redis.call("GET", KEYS[3]) or "0"
redis.call("HSET", KEYS[1], "e", ARGV[1], "a", ARGV[2], "r", ARGV[3], "s", ARGV[4], "u", ARGV[5], "f", ARGV[6], "n", ARGV[7], "g", generation)
local throttle = tonumber(ARGV[8])
if throttle and throttle > 0 then redis.call("HSET", KEYS[1], "t", throttle) end
local withheld = tonumber(ARGV[9])
if withheld ~= 0 then redis.call("HSET", KEYS[1], "h", withheld) end
local buckets = tonumber(ARGV[11])
if buckets and buckets > 1 then redis.call("HSET", KEYS[1], "nb", buckets) end
local throttleAsSet = tonumber(ARGV[12])
if throttleAsSet and throttleAsSet > 0 then redis.call("HSET", KEYS[1], "ts", throttleAsSet) end
if ARGV[13] == "1" then
  redis.call("HSET", KEYS[1], "lo", ARGV[14])
  local i = 15
  for location in string.gmatch(ARGV[14], "[^,]+") do
    redis.call("HSET", KEYS[1], "l:" .. location, ARGV[i])
    i = i + 1
  end
end
return 1
