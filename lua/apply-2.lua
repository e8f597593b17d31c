--[[
  Applies a change that was committed in PostgreSQL (refund, restock, confirm, release, expiry) to a
  SKU counter, once: the transactional outbox's delivery (src/sync/outbox.ts).
  Applied only to a counter of exactly the epoch the change committed under: a counter loaded later
  (newer epoch) was loaded from a truth that already holds the change; an absent one will be. A counter
  of an older epoch is dropped here: the truth was fenced since it was loaded (a database-only take
  withheld units from it, say) and the fence's own drop may still wait in the outbox of an instance
  that cannot reach Redis; until then the counter would refuse units it does not know of.

  KEYS[1]    SKU counter hash
  KEYS[2]    applied marker for this outbox row (makes redelivery a no-op)

  ARGV[1]    epoch the change committed under
  ARGV[2]    delta of the gate's share (available minus withheld)
  ARGV[3]    delta of reserved
  ARGV[4]    delta of sold
  ARGV[5]    marker TTL, seconds (longer than an outbox row can wait for delivery)
  ARGV[6]    delta of withheld (a database-only take sold withheld units)
  ARGV[7]    the location the change is in: the share moves there too (includes/locations.lua); a
             counter that does not sell there (an inactive location, or a counter without locations
             meeting a change elsewhere) is dropped, to be loaded from the truth

  Returns 1 when applied, 0 when already applied, -1 when the counter is absent or of another epoch.
]]
if redis.call("EXISTS", KEYS[2]) == 1 then return 0 end
local current = tonumber(redis.call("HGET", KEYS[1], "e"))
if current ~= tonumber(ARGV[1]) then
  if current and current < tonumber(ARGV[1]) then redis.call("DEL", KEYS[1]) end
  return -1
end
local share, location = tonumber(ARGV[2]), ARGV[7]
local locations = redis.call("HGET", KEYS[1], "lo")
if not locations and location ~= "default" and share ~= 0 then
  redis.call("DEL", KEYS[1])
  return -1
end
if locations and share ~= 0 then
  -- An inactive location's units are not the gate's, but its shortfall counts in a: reload to know which.
  if redis.call("HEXISTS", KEYS[1], "l:" .. location) == 0 then
    redis.call("DEL", KEYS[1])
    return -1
  end
  redis.call("HINCRBY", KEYS[1], "l:" .. location, share)
end
if share ~= 0 then redis.call("HINCRBY", KEYS[1], "a", share) end
redis.call("HINCRBY", KEYS[1], "r", ARGV[3])
redis.call("HINCRBY", KEYS[1], "s", ARGV[4])
if tonumber(ARGV[6]) ~= 0 then redis.call("HINCRBY", KEYS[1], "h", ARGV[6]) end
redis.call("SET", KEYS[2], "1", "EX", ARGV[5])
return 1
