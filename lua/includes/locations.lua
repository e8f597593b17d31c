--[[
  Stock in many locations (src/stock/locations.ts). A counter of a deployment that has locations other
  than `default` (or has deactivated it) carries lo = its active locations in allocation order, comma-
  separated ("" for none), and l:<location> = the gate's share in each; a is their sum. A counter without
  lo (every counter of a deployment with `default` alone, and a SKU in buckets) holds all in `default`.
  Where a line's units come from is a string: "" for all of them from `default`, else
  "location:units,location:units" in the order they were taken.
  Allocation: a pinned line takes only from its location, never below zero there nor the SKU below its
  floor; a line not pinned
  takes from the active locations in order, each as far as it holds, and the rest of what the SKU's floor
  allows (backorders) from the first.
]]
local DEFAULT_LOCATION = "default"

local function split(list)
  local items = {}
  for item in string.gmatch(list, "[^,]+") do items[#items + 1] = item end
  return items
end

local function contains(items, wanted)
  for _, item in ipairs(items) do
    if item == wanted then return true end
  end
  return false
end

--[[
  Where q units of a line come from: the source string, or nil and what could be had (above the floor).
  lo is the counter's location list (false without one), pinned the line's location ("" for none).
]]
local function allocate(key, lo, pinned, q, available, floor, unlimited)
  if not lo then
    if pinned ~= "" and pinned ~= DEFAULT_LOCATION then
      if unlimited then return pinned .. ":" .. q, 0 end
      return nil, 0
    end
    if not unlimited and available - q < floor then return nil, available - floor end
    return "", 0
  end
  local order = split(lo)
  if pinned ~= "" then
    if not contains(order, pinned) then return nil, 0 end
    if unlimited then return pinned .. ":" .. q, 0 end
    local share = tonumber(redis.call("HGET", key, "l:" .. pinned)) or 0
    -- Never below zero there, nor the SKU below its floor (another location may owe backorders).
    if share < q or available - q < floor then return nil, math.max(math.min(share, available - floor), 0) end
    return pinned .. ":" .. q, 0
  end
  if unlimited then return (order[1] or DEFAULT_LOCATION) .. ":" .. q, 0 end
  if #order == 0 then return nil, 0 end
  if available - q < floor then return nil, available - floor end
  local fields = {}
  for i, location in ipairs(order) do fields[i] = "l:" .. location end
  local shares = redis.call("HMGET", key, unpack(fields))
  local taken, left = {}, q
  for i, location in ipairs(order) do
    local units = math.min(left, math.max(tonumber(shares[i]) or 0, 0))
    taken[i] = units
    left = left - units
  end
  -- Backorders: what no location holds is owed by the first.
  taken[1] = taken[1] + left
  local parts = {}
  for i, location in ipairs(order) do
    if taken[i] > 0 then parts[#parts + 1] = location .. ":" .. taken[i] end
  end
  return table.concat(parts, ","), 0
end

-- Moves each location's share by sign * its units of a source string (an unlimited line's never move).
local function moveSources(key, from, sign, unlimited)
  if unlimited or from == "" then return end
  for location, units in string.gmatch(from, "([^,:]+):(%d+)") do
    redis.call("HINCRBY", key, "l:" .. location, sign * tonumber(units))
  end
end

local function takeFrom(key, from, unlimited) moveSources(key, from, -1, unlimited) end
local function giveBackTo(key, from, unlimited) moveSources(key, from, 1, unlimited) end
