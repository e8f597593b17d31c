--[[
  Drops a SKU counter that is older than the truth's epoch, so the next request loads it afresh.
  Counters of that epoch or newer already reflect the change and stay.

  KEYS[1]    SKU counter hash

  ARGV[1]    the truth's epoch

  Returns 1 when dropped, 0 otherwise.
]]
local current = tonumber(redis.call("HGET", KEYS[1], "e"))
if current and current < tonumber(ARGV[1]) then
  redis.call("DEL", KEYS[1])
  return 1
end
return 0
