--[[
  Announces a SKU's level to live subscribers (src/live/publish.ts): reads the gate counter, gives the
  reading a version, decides whether it crossed an alert line, and publishes both, in one atomic step.
  Because reading, versioning and publishing happen together, a higher version always carries a later
  reading, whichever instance asked, and subscribers can drop anything older than what they have.

  A version is max(previous + 1, Redis TIME in microseconds): it grows by at least one per
  announcement, and if Redis loses this key (flush, restart) it restarts above every version given
  before, since those were at most the time they were given (unless announcements ran faster than one
  per microsecond, which a hot SKU does not).
  Alert state is one of IN_STOCK, LOW_STOCK, SOLD_OUT and is remembered here, so each crossing is
  announced once, by whichever announcement sees it first; one without a remembered state records it
  without alerting (a new SKU, or Redis lost the key).

  KEYS[1]    SKU counter hash (lua/includes/counters.lua)
  KEYS[2]    live state hash of the SKU: v = last version, at = its time (ms), st = alert state,
             te = counter epoch the threshold was read for, t = low-stock threshold ("" for none)
  KEYS[3]    the gate's generation (adopt-3.lua): a counter of another generation counts as missing

  ARGV[1]    "publish": a change; "peek": the current reading for a new subscriber, no new version
             unless the SKU has none yet, never an alert, never published
  ARGV[2]    levels channel of this SKU
  ARGV[3]    alerts channel
  ARGV[4]    SKU id
  ARGV[5]    epoch of PostgreSQL when the threshold below was read; "" when not read
  ARGV[6]    low-stock threshold as read ("" for none)
  ARGV[7]    the SKU's bucket count (src/gate/buckets.ts) as the caller knows it; absent: 1
  ARGV[8..10] of a SKU in buckets, what its other buckets hold: available (withheld included),
             reserved, sold, read just before this call (KEYS[1] is its first bucket); absent for a SKU
             without buckets

  Returns { "MISSING" } when there is no counter of this generation (load it, then call again);
  { "BUCKETS", count } when the counter has another bucket count than ARGV[7] (read the other buckets
  for that count, then call again);
  { "THRESHOLD", epoch } when the threshold for the counter's epoch is unknown: not loaded with the
  counter (seed.lua's lt), not given, not read before (read it from PostgreSQL, at that epoch or later,
  then call again);
  { "OK", level JSON, alert kind or "" } otherwise. Versions and times travel as strings: cjson
  prints numbers with 14 significant digits, and a version has 16.
]]
local c = redis.call("HMGET", KEYS[1], "e", "a", "r", "s", "u", "f", "h", "g", "nb", "lt")
if not c[1] or (c[8] or "0") ~= (redis.call("GET", KEYS[3]) or "0") then return { "MISSING" } end
local buckets = tonumber(c[9]) or 1
if buckets ~= (tonumber(ARGV[7]) or 1) then return { "BUCKETS", buckets } end
local epoch = tonumber(c[1])
local live = redis.call("HMGET", KEYS[2], "v", "at", "st", "te", "t")

-- The threshold only changes with an upsert, which bumps the epoch, so one read per epoch is enough:
-- the one the counter was loaded with (of its epoch), or one remembered or given for its epoch or later.
-- A read from an older epoch than the counter's may predate the change and is refused.
local threshold, thresholdEpoch = live[5], tonumber(live[4])
if c[10] then threshold, thresholdEpoch = c[10], epoch end
if ARGV[5] ~= "" and tonumber(ARGV[5]) >= epoch then
  threshold, thresholdEpoch = ARGV[6], epoch
end
if thresholdEpoch ~= epoch then return { "THRESHOLD", epoch } end

-- The SKU's available is the gate's share plus the units withheld for the database-only path.
local others = { available = tonumber(ARGV[8]) or 0, reserved = tonumber(ARGV[9]) or 0, sold = tonumber(ARGV[10]) or 0 }
local available, floor, unlimited = tonumber(c[2]) + (tonumber(c[7]) or 0) + others.available, tonumber(c[6]), c[5] == "1"
local state = "IN_STOCK"
if not unlimited then
  -- Sold out: not one more unit can be sold (backorders included).
  if available <= floor then
    state = "SOLD_OUT"
  elseif threshold ~= "" and available <= tonumber(threshold) then
    state = "LOW_STOCK"
  end
end

local version, at = tonumber(live[1]), live[2]
local publish = ARGV[1] == "publish"
if publish or not version then
  local now = redis.call("TIME")
  local micros = tonumber(now[1]) * 1000000 + tonumber(now[2])
  version = math.max((version or 0) + 1, micros)
  at = string.format("%.0f", math.floor(micros / 1000))
end

local previous = live[3]
local alert = ""
if publish and previous and previous ~= state then
  if state == "SOLD_OUT" then
    alert = "SOLD_OUT"
  elseif previous == "SOLD_OUT" then
    alert = "BACK_IN_STOCK"
  elseif state == "LOW_STOCK" then
    alert = "LOW_STOCK"
  end
end
-- A peek must not move the remembered state: that would swallow a crossing the next publish is for.
if publish or not previous then previous = state end

local v = string.format("%.0f", version)
redis.call("HSET", KEYS[2], "v", v, "at", at, "st", previous, "te", epoch, "t", threshold)

local level = {
  skuId = ARGV[4],
  available = available,
  reserved = tonumber(c[3]) + others.reserved,
  sold = tonumber(c[4]) + others.sold,
  unlimited = unlimited,
  state = state,
  lowStockThreshold = threshold,
  version = v,
  changedAt = at,
}
local encoded = cjson.encode(level)
if publish then
  redis.call("PUBLISH", ARGV[2], encoded)
  if alert ~= "" then redis.call("PUBLISH", ARGV[3], cjson.encode({ kind = alert, level = level })) end
end
return { "OK", encoded, alert }
