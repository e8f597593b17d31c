--[[
  Takes a whole cart at the gate: every line or none, in one atomic step.
  Used for DEDUCT (available -> sold) and RESERVE (available -> reserved).

  KEYS[1]    idempotency records of this period (hash: record field -> "fingerprint digest:gate token");
             it expires ARGV[6] seconds after its first record, so a record lives one to two periods
  KEYS[2]    idempotency records of the period before (read only: a key taken then is still a replay)
  KEYS[3]    in-flight index (zset: gate id -> time taken, ms)
  KEYS[4]    in-flight payloads (hash: gate id -> JSON of what was taken: kind k, record hash i and field
             f, counter keys c, quantities q, epochs e, unlimited flags u, locations l, time t; enough for
             reconciliation to give it back without the request)
  KEYS[5]    replay filter (string used as a bitmap, a Bloom filter of every key ever taken): bit 0 is
             set once it holds every key the ledger has (src/sync/replay-filter.ts); a take sets its
             key's bits here
  KEYS[6]    the gate's generation (adopt-3.lua): a counter of another generation counts as missing
  KEYS[7]    the replication id the gate's data was adopted under (adopt-3.lua): a server with another
             one (a promoted replica, a restart) must be adopted before anything is taken there
  KEYS[8..]  one SKU counter hash per cart line, in line order (fields: includes/counters.lua; a
             throttled SKU's t and tt are read and tt written here)

  ARGV[1]    movement kind: DEDUCT | RESERVE
  ARGV[2]    record field: a digest of the kind and the idempotency key (fixed length, whatever the key's);
             "" for a cart's part in a shard other than its key's home shard (src/gate/gate.ts): the
             home shard's call holds the record, so this call neither reads nor writes one (nor the
             replay filter), and its in-flight payload's f is ""
  ARGV[3]    fingerprint digest (of the canonical order id + lines)
  ARGV[4]    gate id, unique per attempt; its first 8 characters are the record's gate token
  ARGV[5]    now, ms since epoch (the caller's clock: scripts must not read time for replication);
             also the throttle's clock
  ARGV[6]    lifetime of KEYS[1], seconds (two periods)
  ARGV[7]    the key's bits in the replay filter, comma-separated (never bit 0)
  ARGV[8..]  quantity per line, in KEYS order: whole numbers of at least 1 (the caller validates
             them; checked again here because a script error after a write would leave a half-taken cart)
  then       per line, the location it is pinned to, "" for none (includes/locations.lua allocates)

  Returns one of:
    {"ADOPT"}                     this server is not the one adopted (its replication id is not KEYS[7]'s):
                                  nothing was read or written; adopt it (adopt-3.lua), then call again
    {"MISSING", i, ...}           counters i (1-based lines) are absent, or of another generation: load
                                  them from the truth, retry
    {"REPLAY", token}             the key was used before with this fingerprint, by the attempt whose
                                  gate id starts with token
    {"CONFLICT"}                  the key was used before with another fingerprint
    {"THROTTLED", ms, i, ...}     lines i whose SKU is over its throttle; ms = how long until every one
                                  of them admits an attempt again (at least 1)
    {"SHORT", fresh, i, available, withheld, buckets, ...}  lines that cannot be served: what the
                                  gate's share has above its floor, the units withheld for the database-
                                  only path (the caller may take those back into the share and retry),
                                  and the SKU's bucket count (nb; src/gate/buckets.ts: the other buckets
                                  may hold what this one lacks); fresh is 1
                                  when the replay filter is complete and lacks one of the key's bits, so
                                  the key was never taken and the refusal needs no look in the ledger
    {"OK", epoch, after, unlimited, from, ..., fresh}  every line taken; per line its counter's epoch,
                                  available after the take (withheld units included: the SKU's available;
                                  0 for unlimited lines; "" for the first bucket of a SKU in buckets, which
                                  holds only its part), 1 for an unlimited line, else 0, and where its
                                  units came from ("" all from default; else "location:units,...",
                                  includes/locations.lua); then fresh as
                                  SHORT's, read before this take set the key's bits: a cart's later part in
                                  another shard that is short is then refused without a look in the ledger
  Unlimited lines only count what they sell: their available never moves.
  Hot-SKU throttle (seed 002), checked after MISSING and before sufficiency: a SKU whose counter has
  t (attempts per second) admits attempts on a GCRA schedule (a bucket of t attempts refilled at t a
  second), kept as the theoretical arrival time tt (ms) in the counter itself, so every instance shares
  it and a reload starts it afresh. Every admitted attempt counts, whether it is then taken or SHORT;
  replays, conflicts and throttled attempts do not. A cart is admitted on every throttled line or none.
  An error reply (unknown kind, bad quantity, a SKU on two lines) changes nothing.
]]
--- @include "counters"
--- @include "locations"
local kind, field, fp, gateId, now, lifetime = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local target = TARGET[kind]
if not target then return redis.error_reply("unknown kind " .. tostring(kind)) end
local FIRST_LINE, FIRST_QUANTITY = 8, 8
local lines = #KEYS - (FIRST_LINE - 1)
local FIRST_LOCATION = FIRST_QUANTITY + lines
local distinct = {}
for i = 1, lines do
  local q = tonumber(ARGV[FIRST_QUANTITY - 1 + i])
  local key = KEYS[FIRST_LINE - 1 + i]
  if not q or q < 1 or q ~= math.floor(q) then return redis.error_reply("bad quantity on line " .. i) end
  if distinct[key] then return redis.error_reply("SKU on more than one line: " .. key) end
  distinct[key] = true
end

-- Checked here, where the take runs, not only by the caller before sending: a client may send a command
-- again by itself after a failover (a resend on reconnect, a cluster's redirection), to a server whose
-- history the gate has not adopted.
local here = string.match(redis.call("INFO", "replication"), "master_replid:(%w+)")
if redis.call("GET", KEYS[7]) ~= here then return { "ADOPT" } end

local recorded = field ~= ""
local seen = recorded and (redis.call("HGET", KEYS[1], field) or redis.call("HGET", KEYS[2], field))
if seen then
  local separator = string.find(seen, ":", 1, true)
  if string.sub(seen, 1, separator - 1) == fp then return { "REPLAY", string.sub(seen, separator + 1) } end
  return { "CONFLICT" }
end

local generation = redis.call("GET", KEYS[6]) or "0"
local missing = { "MISSING" }
local short = { "SHORT" }
local state = {}
for i = 1, lines do
  local key = KEYS[FIRST_LINE - 1 + i]
  local c = redis.call("HMGET", key, "a", "u", "f", "e", "t", "tt", "h", "g", "nb", "lo")
  if not c[4] or (c[8] or "0") ~= generation then
    missing[#missing + 1] = i
  else
    local q = tonumber(ARGV[FIRST_QUANTITY - 1 + i])
    local available, floor = tonumber(c[1]), tonumber(c[3])
    local withheld = tonumber(c[7]) or 0
    local unlimited = c[2] == "1"
    local from, obtainable = allocate(key, c[10], ARGV[FIRST_LOCATION - 1 + i], q, available, floor, unlimited)
    state[i] = { q = q, unlimited = unlimited, withheld = withheld, epoch = tonumber(c[4]), limit = tonumber(c[5]), tat = tonumber(c[6]), buckets = tonumber(c[9]) or 1, from = from }
    if not from then
      short[#short + 1] = i
      short[#short + 1] = obtainable
      -- Units withheld are the SKU's, not a pinned location's: only an allocated line may take them back.
      short[#short + 1] = ARGV[FIRST_LOCATION - 1 + i] == "" and withheld or 0
      short[#short + 1] = tonumber(c[9]) or 1
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
for i, after in pairs(admitted) do redis.call("HSET", KEYS[FIRST_LINE - 1 + i], "tt", after) end

local filterBits = {}
for bit in string.gmatch(ARGV[7], "%d+") do filterBits[#filterBits + 1] = tonumber(bit) end
-- 1 when the filter is complete and lacks one of the key's bits: the key was never taken.
local fresh = 0
if recorded and redis.call("GETBIT", KEYS[5], 0) == 1 then
  for _, bit in ipairs(filterBits) do
    if redis.call("GETBIT", KEYS[5], bit) == 0 then fresh = 1 break end
  end
end
if #short > 1 then
  table.insert(short, 2, fresh)
  return short
end

local epochs, taken, unlimited, counters, sources = {}, {}, {}, {}, {}
local reply = { "OK" }
for i = 1, lines do
  local s, key = state[i], KEYS[FIRST_LINE - 1 + i]
  local after = 0
  if s.unlimited then
    unlimited[i] = 1
  else
    after = redis.call("HINCRBY", key, "a", -s.q) + s.withheld
    unlimited[i] = 0
  end
  redis.call("HINCRBY", key, target, s.q)
  takeFrom(key, s.from, s.unlimited)
  epochs[i] = s.epoch
  taken[i] = s.q
  counters[i] = key
  reply[#reply + 1] = s.epoch
  -- One bucket of several knows only its own level: "" (the caller reads the SKU's, if it must).
  reply[#reply + 1] = s.buckets > 1 and "" or after
  reply[#reply + 1] = unlimited[i]
  reply[#reply + 1] = s.from
  sources[i] = s.from
end
if recorded then
  local GATE_TOKEN_LENGTH = 8
  redis.call("HSET", KEYS[1], field, fp .. ":" .. string.sub(gateId, 1, GATE_TOKEN_LENGTH))
  redis.call("EXPIRE", KEYS[1], lifetime, "NX")
  for _, bit in ipairs(filterBits) do redis.call("SETBIT", KEYS[5], bit, 1) end
end
redis.call("ZADD", KEYS[3], now, gateId)
redis.call("HSET", KEYS[4], gateId, cjson.encode({ k = kind, i = KEYS[1], f = field, c = counters, q = taken, e = epochs, u = unlimited, l = sources, t = tonumber(now) }))
reply[#reply + 1] = fresh
return reply
