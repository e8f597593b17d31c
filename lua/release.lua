--[[
  Gives back what one gate id took, when its ledger write failed or was fenced. Idempotent by gate id:
  the in-flight payload is the proof the units are still out, and it is removed here.
  Units go back only to counters of the same epoch: a counter rebuilt since then never saw them taken.

  KEYS[1]    in-flight index (zset)
  KEYS[2]    in-flight payloads (hash)
  KEYS[3]    the idempotency record the take wrote (dropped if it is still this gate id's)
  KEYS[4..]  the SKU counter hashes of the cart, in line order (as given to take.lua)

  ARGV[1]    gate id

  Returns the number of lines whose units went back, or -1 when the gate id was not in flight.
]]
--- @include "counters"
local gateId = ARGV[1]
local raw = redis.call("HGET", KEYS[2], gateId)
if not raw then return -1 end
local p = cjson.decode(raw)
local target = TARGET[p.k]
local restored = 0
for i = 1, #KEYS - 3 do
  local key = KEYS[3 + i]
  if tonumber(redis.call("HGET", key, "e")) == p.e[i] then
    if p.u[i] == 0 then redis.call("HINCRBY", key, "a", p.q[i]) end
    redis.call("HINCRBY", key, target, -p.q[i])
    restored = restored + 1
  end
end
local seen = redis.call("GET", KEYS[3])
if seen and cjson.decode(seen).id == gateId then redis.call("DEL", KEYS[3]) end
redis.call("ZREM", KEYS[1], gateId)
redis.call("HDEL", KEYS[2], gateId)
return restored
