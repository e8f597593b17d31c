--[[
  Loads SKU counters from the truth, each for the holder of its load lock only. A counter of the same or
  a newer epoch wins: a slower loader holding an older truth must never overwrite a fresher one. And a
  loader whose lock lapsed (it stalled past its lease, or a flush wiped the lock) must not write at all:
  while it stalled, a change may have committed under its epoch whose delivery the outbox kept only
  while the lock was held (src/sync/outbox.ts), so its truth may lack that change for good. Many
  counters per call (a bulk change reloads thousands), each as if loaded alone.

  A SKU split into buckets (src/gate/buckets.ts) has one counter per bucket: the first (bucket 0) is
  loaded under the lock as above, and carries the bucket count; the others receive no committed change
  (apply-2.lua adds changes to the first), so nothing can be lost by a stalled loader there, and the
  epoch alone orders their loaders: they are loaded without the lock (token "").

  KEYS[1]    the gate's generation (adopt-3.lua), which the counters are loaded under (their g)
  then per counter two keys: its hash (of one bucket), and the SKU's load lock (for a bucket past the
             first: any key of its slot, unread); one slot in a Redis Cluster

  ARGV, per counter in KEYS order, COUNTER_ARGS arguments and then its location shares:
             epoch of this truth
             the gate's share of available (available - withheld)
             reserved
             sold
             unlimited (0/1)
             floor (minus the backorder limit)
             name ("" when none)
             hot-SKU throttle, attempts per second; 0 for none (stored as t only when set, and a
               reload starts the throttle's schedule afresh)
             units withheld for the database-only path (stored as h only when not 0)
             the loader's lock token; "" for a bucket past the first
             the SKU's bucket count (stored as nb only when over 1, on the first bucket)
             the SKU's throttle as set, on the first bucket of a SKU in buckets (stored as ts; each
               bucket's t is its part of it); 0 otherwise
             1 when the counter keeps stock per location (includes/locations.lua), else 0
             its active locations in allocation order, comma-separated (when the flag is 1; else "")
             the SKU's low-stock threshold as the truth holds it, on its first bucket ("" for none; stored
               as lt, which lua/announce-3.lua takes as the threshold of the counter's epoch); "?" when
               the loader did not read it (nothing stored: the first announcement reads it)
           followed, when the flag is 1, by the gate's share in each of those locations, in that order
             (they add up to the share of available)
  Returns per counter 1 when loaded, 0 when a counter of this epoch or newer was already there, -1 when
  the caller does not hold the load lock. Arguments that do not match the keys, or an epoch that is not
  a number, are refused (an error) before anything is written.
]]
local COUNTER_ARGS = 15

-- Each counter's keys and first argument, checked before anything is written.
local MISMATCH = "the counters' arguments do not match their keys"
local counters = {}
local arg = 1
for key = 2, #KEYS, 2 do
  if arg > #ARGV then return redis.error_reply(MISMATCH) end
  local locations = {}
  if ARGV[arg + 12] == "1" then
    for location in string.gmatch(ARGV[arg + 13] or "", "[^,]+") do locations[#locations + 1] = location end
  end
  if not tonumber(ARGV[arg]) then return redis.error_reply("counter " .. (#counters + 1) .. ": bad epoch") end
  counters[#counters + 1] = { hash = KEYS[key], lock = KEYS[key + 1], arg = arg, locations = locations }
  arg = arg + COUNTER_ARGS + #locations
end
if #KEYS % 2 ~= 1 or arg ~= #ARGV + 1 then return redis.error_reply(MISMATCH) end

local generation = redis.call("GET", KEYS[1]) or "0"

local function load(c)
  local a = c.arg - 1
  local hash = c.hash
  if ARGV[a + 10] ~= "" and redis.call("GET", c.lock) ~= ARGV[a + 10] then return -1 end
  local current = tonumber(redis.call("HGET", hash, "e"))
  if current and current >= tonumber(ARGV[a + 1]) then return 0 end
  redis.call("DEL", hash)
  redis.call("HSET", hash, "e", ARGV[a + 1], "a", ARGV[a + 2], "r", ARGV[a + 3], "s", ARGV[a + 4], "u", ARGV[a + 5], "f", ARGV[a + 6], "n", ARGV[a + 7], "g", generation)
  local throttle = tonumber(ARGV[a + 8])
  if throttle and throttle > 0 then redis.call("HSET", hash, "t", throttle) end
  local withheld = tonumber(ARGV[a + 9])
  if withheld ~= 0 then redis.call("HSET", hash, "h", withheld) end
  local buckets = tonumber(ARGV[a + 11])
  if buckets and buckets > 1 then redis.call("HSET", hash, "nb", buckets) end
  local throttleAsSet = tonumber(ARGV[a + 12])
  if throttleAsSet and throttleAsSet > 0 then redis.call("HSET", hash, "ts", throttleAsSet) end
  if ARGV[a + 15] ~= "?" then redis.call("HSET", hash, "lt", ARGV[a + 15]) end
  if ARGV[a + 13] == "1" then
    redis.call("HSET", hash, "lo", ARGV[a + 14])
    for i, location in ipairs(c.locations) do redis.call("HSET", hash, "l:" .. location, ARGV[a + COUNTER_ARGS + i]) end
  end
  return 1
end

local loaded = {}
for i, c in ipairs(counters) do loaded[i] = load(c) end
return loaded
