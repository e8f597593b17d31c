--[[
  Gives back what one gate id took, when its ledger write failed or was fenced. Idempotent by gate id:
  the in-flight payload is the proof the units are still out, and it is removed here.
  Units go back only to counters of the same epoch: a counter rebuilt since then never saw them taken,
  and to the locations they came from (includes/locations.lua).

  KEYS[1]    in-flight index (zset)
  KEYS[2]    in-flight payloads (hash)
  KEYS[3..4] idempotency records where the take's record may be (this period's and the one before,
             or its payload's i twice); the one the payload names (i) loses the record if it is still
             this gate id's, so a retry with the key is not taken for a replay
  KEYS[5..]  the SKU counter hashes of the cart, in line order (as given to take.lua)

  ARGV[1]    gate id

  Returns the number of lines whose units went back, or -1 when the gate id was not in flight.
]]
--- @include "counters"
--- @include "locations"
local gateId = ARGV[1]
local raw = redis.call("HGET", KEYS[2], gateId)
if not raw then return -1 end
local p = cjson.decode(raw)
local target = TARGET[p.k]
local restored = 0
local FIRST_LINE = 5
for i = 1, #KEYS - (FIRST_LINE - 1) do
  local key = KEYS[FIRST_LINE - 1 + i]
  if tonumber(redis.call("HGET", key, "e")) == p.e[i] then
    if p.u[i] == 0 then redis.call("HINCRBY", key, "a", p.q[i]) end
    -- A payload written before locations existed names none: all came from default.
    giveBackTo(key, p.l and p.l[i] or "", p.u[i] == 1)
    redis.call("HINCRBY", key, target, -p.q[i])
    restored = restored + 1
  end
end
local GATE_TOKEN_LENGTH = 8
local records = (p.i == KEYS[3] or p.i == KEYS[4]) and p.i or nil
local seen = records and redis.call("HGET", records, p.f)
local token = seen and string.sub(seen, (string.find(seen, ":", 1, true) or 0) + 1)
if token == string.sub(gateId, 1, GATE_TOKEN_LENGTH) then redis.call("HDEL", records, p.f) end
redis.call("ZREM", KEYS[1], gateId)
redis.call("HDEL", KEYS[2], gateId)
return restored
