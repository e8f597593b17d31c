--[[
  Takes a whole cart at the gate: every line or none, in one atomic step.
  Used for DEDUCT (available -> sold) and RESERVE (available -> reserved).

  KEYS[1]    idempotency record (string, JSON)
  KEYS[2]    in-flight index (zset: gate id -> time taken, ms)
  KEYS[3]    in-flight payloads (hash: gate id -> JSON of what was taken: kind k, idempotency record
             key i, counter keys c, quantities q, epochs e, unlimited flags u, time t; enough for
             reconciliation to give it back without the request)
  KEYS[4..]  one SKU counter hash per cart line, in line order (fields: includes/counters.lua; a
             throttled SKU's t and tt are read and tt written here)

  ARGV[1]    movement kind: DEDUCT | RESERVE
  ARGV[2]    request fingerprint (canonical order id + lines)
  ARGV[3]    gate id, unique per attempt
  ARGV[4]    now, ms since epoch (the caller's clock: scripts must not read time for replication);
             also the throttle's clock
  ARGV[5]    idempotency record TTL, seconds
  ARGV[6..]  quantity per line, in KEYS order: whole numbers of at least 1 (the caller validates
             them; checked again here because a script error after a write would leave a half-taken cart)

  Returns one of:
    {"MISSING", i, ...}           counters i (1-based lines) are absent: load them from the truth, retry
    {"REPLAY", record}            the key was used before with this fingerprint
    {"CONFLICT"}                  the key was used before with another fingerprint
    {"THROTTLED", ms, i, ...}     lines i whose SKU is over its throttle; ms = how long until every one
                                  of them admits an attempt again (at least 1)
    {"SHORT", i, available, withheld, ...}  lines that cannot be served: what the gate's share has
                                  above its floor, and the units withheld for the database-only path
                                  (the caller may take those back into the share and retry)
    {"OK", record}                every line taken; record = {"fp","id","e":[epochs],"a":[after],"u":[0|1]}
                                  where u is 1 for unlimited lines (their after is meaningless: 0);
                                  after counts withheld units too (the SKU's available)
  Unlimited lines only count what they sell: their available never moves.
  Hot-SKU throttle (seed 002), checked after MISSING and before sufficiency: a SKU whose counter has
  t (attempts per second) admits attempts on a GCRA schedule (a bucket of t attempts refilled at t a
  second), kept as the theoretical arrival time tt (ms) in the counter itself, so every instance shares
  it and a reload starts it afresh. Every admitted attempt counts, whether it is then taken or SHORT;
  replays, conflicts and throttled attempts do not. A cart is admitted on every throttled line or none.
  An error reply (unknown kind, bad quantity, a SKU on two lines) changes nothing.
]]
--- @include "counters"
local kind, fp, gateId, now, ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local target = TARGET[kind]
if not target then return redis.error_reply("unknown kind " .. tostring(kind)) end
local lines = #KEYS - 3
local distinct = {}
for i = 1, lines do
  local q = tonumber(ARGV[5 + i])
  if not q or q < 1 or q ~= math.floor(q) then return redis.error_reply("bad quantity on line " .. i) end
  if distinct[KEYS[3 + i]] then return redis.error_reply("SKU on more than one line: " .. KEYS[3 + i]) end
  distinct[KEYS[3 + i]] = true
end

local seen = redis.call("GET", KEYS[1])
if seen then
  local record = cjson.decode(seen)
  if record.fp == fp then return { "REPLAY", seen } end
  return { "CONFLICT" }
end

local missing = { "MISSING" }
local short = { "SHORT" }
local state = {}
for i = 1, lines do
  local c = redis.call("HMGET", KEYS[3 + i], "a", "u", "f", "e", "t", "tt", "h")
  if not c[4] then
    missing[#missing + 1] = i
  else
    local q = tonumber(ARGV[5 + i])
    local available, floor = tonumber(c[1]), tonumber(c[3])
    local withheld = tonumber(c[7]) or 0
    state[i] = { q = q, unlimited = c[2] == "1", withheld = withheld, epoch = tonumber(c[4]), limit = tonumber(c[5]), tat = tonumber(c[6]) }
    if c[2] ~= "1" and available - q < floor then
      short[#short + 1] = i
      short[#short + 1] = available - floor
      short[#short + 1] = withheld
    end
  end
end
if #missing > 1 then return missing end

-- "Per second": the bucket holds a second's worth of attempts, one refilled every 1000 / t ms.
local THROTTLE_WINDOW_MS = 1000
local nowMs = tonumber(now)
local throttled = { "THROTTLED", 0 }
local admitted = {}
for i = 1, lines do
  local limit = state[i].limit
  if limit and limit > 0 then
    local after = math.max(state[i].tat or nowMs, nowMs) + THROTTLE_WINDOW_MS / limit
    if after - nowMs > THROTTLE_WINDOW_MS then
      throttled[#throttled + 1] = i
      throttled[2] = math.max(throttled[2], math.ceil(after - nowMs - THROTTLE_WINDOW_MS))
    else
      admitted[i] = after
    end
  end
end
if #throttled > 2 then return throttled end
for i, after in pairs(admitted) do redis.call("HSET", KEYS[3 + i], "tt", after) end

if #short > 1 then return short end

local epochs, after, taken, unlimited, counters = {}, {}, {}, {}, {}
for i = 1, lines do
  local s = state[i]
  if s.unlimited then
    after[i] = 0
    unlimited[i] = 1
  else
    after[i] = redis.call("HINCRBY", KEYS[3 + i], "a", -s.q) + s.withheld
    unlimited[i] = 0
  end
  redis.call("HINCRBY", KEYS[3 + i], target, s.q)
  epochs[i] = s.epoch
  taken[i] = s.q
  counters[i] = KEYS[3 + i]
end
local record = cjson.encode({ fp = fp, id = gateId, e = epochs, a = after, u = unlimited })
redis.call("SET", KEYS[1], record, "EX", ttl)
redis.call("ZADD", KEYS[2], now, gateId)
redis.call("HSET", KEYS[3], gateId, cjson.encode({ k = kind, i = KEYS[1], c = counters, q = taken, e = epochs, u = unlimited, t = tonumber(now) }))
return { "OK", record }
