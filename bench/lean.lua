--[[
  The lean gate (bench/lean.ts, for the bench only): a call's carts taken one after the other, each
  every line or none, each once by its order id. The least a gate does for I1 (no oversell), I3 (what
  a call took stays findable until its ledger rows commit) and I4 (a replay moves nothing): no
  throttle, epochs, locations, buckets, replay filter nor record expiry.

  KEYS[1]    records (hash: order id -> "1")
  KEYS[2]    in flight (hash: call id -> what the call took, a line of "order id, counter key, units"
             each, space-separated, newline between them): one entry a call, enough to give it back,
             deleted once the ledger rows commit
  KEYS[3..]  one counter per line of each cart, cart after cart (a string: available units; absent: 0)

  ARGV[1]    the call's id
  then per cart: its order id, n (its line count), then n quantities (whole numbers of at least 1; a
  cart's SKUs are distinct: the caller checks both)

  Returns one number per cart: 1 taken, 0 short (nothing moved), -1 a replay (nothing moved).
]]
local CART_HEADER, FIRST_COUNTER = 2, 3
-- A counter's units, read once a call and written once after the last cart.
local available, changed = {}, {}
local replies, taken = {}, {}
local arg, key = 2, FIRST_COUNTER
while arg <= #ARGV do
  local order, lines = ARGV[arg], tonumber(ARGV[arg + 1])
  local reply = 1
  if redis.call("HEXISTS", KEYS[1], order) == 1 then
    reply = -1
  else
    for i = 0, lines - 1 do
      local counter = KEYS[key + i]
      available[counter] = available[counter] or tonumber(redis.call("GET", counter)) or 0
      if available[counter] < tonumber(ARGV[arg + CART_HEADER + i]) then reply = 0 end
    end
    if reply == 1 then
      for i = 0, lines - 1 do
        local counter, units = KEYS[key + i], ARGV[arg + CART_HEADER + i]
        if not changed[counter] then changed[#changed + 1] = counter; changed[counter] = true end
        available[counter] = available[counter] - tonumber(units)
        taken[#taken + 1] = order .. " " .. counter .. " " .. units
      end
      redis.call("HSET", KEYS[1], order, "1")
    end
  end
  replies[#replies + 1] = reply
  arg, key = arg + CART_HEADER + lines, key + lines
end
for _, counter in ipairs(changed) do redis.call("SET", counter, string.format("%d", available[counter])) end
if #taken > 0 then redis.call("HSET", KEYS[2], ARGV[1], table.concat(taken, "\n")) end
return replies
