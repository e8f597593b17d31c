--[[
  Takes carts at the gate: each cart's part in this shard (src/gate/cart-parts.ts) every line or none,
  in one atomic step; one call takes many parts (a batch's carts), one after the other, each as if it
  were called alone. Used for DEDUCT (available -> sold) and RESERVE (available -> reserved).

  KEYS[1]    idempotency records of this period (hash: record field -> "fingerprint digest:gate token");
             it expires ARGV[2] seconds after its first record, so a record lives one to two periods
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
  KEYS[8]    the replay filter of the layout before KEYS[5]'s (src/gate/keys.ts): an instance of an
             earlier version takes with its bits there alone, and creates it; while it exists, KEYS[5]
             may lack keys taken there, so it is not trusted, and it is marked incomplete (bit 0
             cleared) to be rebuilt with them once it is gone (src/sync/replay-filter.ts)
  KEYS[9..]  one SKU counter hash per line of each part, part after part, in line order (fields:
             includes/counters.lua; a throttled SKU's t and tt are read and tt written here)

  ARGV[1]    now, whole ms since epoch in digits (the caller's clock: scripts must not read time for
             replication); also the throttle's clock
  ARGV[2]    lifetime of KEYS[1], seconds (two periods)
  then per part, PART_HEADER arguments:
             movement kind: DEDUCT | RESERVE
             record field: a digest of the kind and the idempotency key (fixed length, whatever the key's);
               "" for a cart's part in a shard other than its key's home shard (src/gate/gate.ts): the
               home shard's part holds the record, so this part neither reads nor writes one (nor the
               replay filter), and its in-flight payload's f is ""
             fingerprint digest (of the canonical order id + lines)
             gate id, unique per attempt; its first 8 characters are the record's gate token
             the key's bits in the replay filter, comma-separated (never bit 0)
             n, the part's line count (its next n KEYS): 0 for a home shard's part of a cart whose lines
               are all in other shards, which holds the record alone
           followed by n quantities, in KEYS order: whole numbers of at least 1 in plain digits, at most
             10 (the caller validates them; checked again here, before anything is written, because a
             script error after a write would leave a half-taken cart), and n locations each line is
             pinned to, "" for none (includes/locations.lua allocates)
  Parts in one call are of distinct idempotency keys (the caller's rounds); one that meets an earlier
  part's key in the call meets its record (as if each part were written whole before the next starts).
  At most MAX_PARTS parts a call.

  Returns {"ADOPT"} when this server is not the one adopted (its replication id is not KEYS[7]'s):
  nothing was read or written; adopt it (adopt-3.lua), then call again. Otherwise one reply per part:
    {"MISSING", i, ...}           counters i (1-based lines) are absent, or of another generation: load
                                  them from the truth, retry
    {"REPLAY", token}             the key was used before with this fingerprint, by the attempt whose
                                  gate id starts with token
    {"CONFLICT"}                  the key was used before with another fingerprint
                                  (a key the complete replay filter lacks was never taken: its record
                                  is not looked up)
    {"THROTTLED", ms, i, ...}     lines i whose SKU is over its throttle; ms = how long until every one
                                  of them admits an attempt again (at least 1)
    {"SHORT", fresh, i, available, withheld, buckets, ...}  lines that cannot be served: what the
                                  gate's share has above its floor, the units withheld for the database-
                                  only path (the caller may take those back into the share and retry),
                                  and the SKU's bucket count (nb; src/gate/buckets.ts: the other buckets
                                  may hold what this one lacks); fresh is 1
                                  when the replay filter is complete and lacks one of the key's bits, so
                                  the key was never taken and the refusal needs no look in the ledger
    {"OK", epoch, after, unlimited, from, ..., fresh}  every line taken; per line its counter's epoch
                                  (its digits as the counter holds them: a Lua number made of them would
                                  cost a conversion a line, `npm run bench:gate`: 125,095 -> 123,659 Redis
                                  instructions a hot cart, 315,012 -> 311,587 a 3-line cart),
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
  An error reply (bad time, unknown kind, bad quantity, a SKU on two lines of a part, arguments that do
  not match the keys) is given before anything is written, and changes nothing.
]]
--- @include "counters"
--- @include "locations"
local now, lifetime = ARGV[1], ARGV[2]
local nowMs = tonumber(now)
local FIRST_COUNTER, FIRST_PART_ARG, PART_HEADER = 9, 3, 6
-- Quantities and the time are kept as the digits they came as, and written as such (to the counters, the
-- in-flight payload): a Lua number becomes text through printf's %.14g, some thousands of instructions
-- each time, and a cart's lines would pay it several times. Ten digits hold any GraphQL Int, and every
-- such number is exact as a Lua number.
local WHOLE_NUMBER, MAX_QUANTITY_DIGITS = "^[1-9]%d*$", 10
-- The in-flight entries of a call are written by one ZADD and one HSET (see `writes`), two arguments a
-- part each, which unpack puts on Lua's C stack (LUAI_MAXCSTACK, 8,000 slots); the caller sends
-- at most 100 parts a call (MAX_PARTS_PER_TAKE_CALL, src/gate/gate.ts).
local MAX_PARTS = 1000
if not string.match(now, "^%d+$") then return redis.error_reply("bad time: " .. now) end

-- Every part is read and checked before anything is written: an error reply then changes nothing. What
-- is kept of each is where it starts (its first argument and counter key) and its line count.
-- A part's tables (its arguments, its lines' states, filter bits and in-flight lists) are one set for the
-- call, filled anew for each part: a table costs a take thousands of instructions, allocated and then
-- collected, and a part made eight to twelve of them (`npm run bench:gate`: 159,800 -> 140,800 Redis
-- instructions a hot cart, 370,500 -> 330,600 a 3-line cart). Only the reply is a part's own.
local partArgs, partKeys, partLines = {}, {}, {}
-- Counter key -> the last part that named it: a part's lines are of distinct SKUs (one table for them all).
local namedBy = {}
local argCount = #ARGV
local arg, firstKey = FIRST_PART_ARG, FIRST_COUNTER
while arg <= argCount do
  local p = #partArgs + 1
  if p > MAX_PARTS then return redis.error_reply("more than " .. MAX_PARTS .. " parts") end
  local lines = tonumber(ARGV[arg + 5])
  if not lines or lines < 0 or lines ~= math.floor(lines) or arg + PART_HEADER + 2 * lines - 1 > argCount then
    return redis.error_reply("part " .. p .. ": bad line count")
  end
  if not TARGET[ARGV[arg]] then return redis.error_reply("part " .. p .. ": unknown kind " .. tostring(ARGV[arg])) end
  for i = 1, lines do
    local q = ARGV[arg + PART_HEADER - 1 + i]
    if not string.find(q, WHOLE_NUMBER) or #q > MAX_QUANTITY_DIGITS then return redis.error_reply("part " .. p .. ": bad quantity on line " .. i) end
    -- A one-line part cannot repeat a SKU (most carts of a hot sale are one line).
    if lines > 1 then
      local key = KEYS[firstKey - 1 + i]
      if namedBy[key] == p then return redis.error_reply("part " .. p .. ": SKU on more than one line: " .. key) end
      namedBy[key] = p
    end
  end
  partArgs[p], partKeys[p], partLines[p] = arg, firstKey, lines
  arg, firstKey = arg + PART_HEADER + 2 * lines, firstKey + lines
end
if firstKey ~= #KEYS + 1 then return redis.error_reply("the parts' lines do not match the counter keys") end

-- The part being taken: part p's arguments (readPart).
local part = {}
local function readPart(p)
  local at, lines = partArgs[p], partLines[p]
  part.kind, part.field, part.fp, part.gateId, part.bits = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3], ARGV[at + 4]
  part.lines, part.firstKey, part.firstQuantity, part.firstLocation = lines, partKeys[p], at + PART_HEADER, at + PART_HEADER + lines
  return part
end

-- Checked here, where the take runs, not only by the caller before sending: a client may send a command
-- again by itself after a failover (a resend on reconnect, a cluster's redirection), to a server whose
-- history the gate has not adopted.
local here = string.match(redis.call("INFO", "replication"), "master_replid:(%w+)")
if redis.call("GET", KEYS[7]) ~= here then return { "ADOPT" } end

local generation = redis.call("GET", KEYS[6]) or "0"
local filterComplete = redis.call("GETBIT", KEYS[5], 0) == 1
-- A key an earlier version took during a rolling upgrade has its bits only in the earlier filter: trusting
-- this one, a sold-out replay of it, its record expired, would be refused as a new key instead of getting
-- its first answer (I4). The check is in the take, not only in the keeper, so no call runs between an
-- earlier instance's first take and the filter's demotion.
if filterComplete and redis.call("EXISTS", KEYS[8]) == 1 then
  redis.call("SETBIT", KEYS[5], 0, 0)
  filterComplete = false
end
-- "Per second": the bucket holds a second's worth of attempts, one refilled every 1000 / t ms.
local THROTTLE_WINDOW_MS = 1000
local GATE_TOKEN_LENGTH = 8
-- The counter fields a take moves units into (TARGET's values).
local TAKEN_FIELDS = { "s", "r" }

-- Whether this call set this period's records hash to expire (once its first record is in).
local expiring = false

-- What the parts write to the in-flight entries and to counters taken from more than once, gathered
-- and written after the last part (writeAll): a call's hundred parts then cost one ZADD and one HSET of
-- in-flight entries, and a hot SKU's counter one HINCRBY a field, not a command each (a redis.call costs
-- some 4,000 instructions before it does anything). `npm run bench:gate`, Redis instructions per cart:
-- hot SKU 178,754 -> 165,078, 3-line carts 374,365 -> 374,347. Nothing in the call reads them back but
-- the counters' shares, which knownCounters keeps. (Records gathered so paid nothing: measured.)
local writes = { inFlightIndex = {}, inFlightPayloads = {}, counters = {}, counterKeys = {} }

-- The counters this call has read, by key, kept as this call's writes leave them (a: the gate's share,
-- tt: the throttle's schedule; location shares are read where they are used): a hot SKU's parts read
-- its counter once per call, not once each (an HMGET of its fields is the costliest command of a take).
-- a is the text HMGET read until a part of this call takes from it, a number after (takeFromCounter).
-- tt is read only where t is set: a field the counter lacks costs HMGET a scan of the whole hash, and
-- most SKUs have no throttle (`npm run bench:gate`: 311,587 -> 307,450 Redis instructions a 3-line
-- cart; a hot cart's counter is read once a call).
local COUNTER_FIELDS = { "a", "u", "f", "e", "t", "h", "g", "nb", "lo" }
local SHARE, THROTTLE, SCHEDULE = 1, 5, #COUNTER_FIELDS + 1
local knownCounters = {}
local function counterOf(key)
  local c = knownCounters[key]
  if not c then
    c = redis.call("HMGET", key, unpack(COUNTER_FIELDS))
    if c[THROTTLE] then c[SCHEDULE] = redis.call("HGET", key, "tt") end
    knownCounters[key] = c
  end
  return c
end

-- The part's lines as read (readCounters): line i's table, reused by every part (its first part.lines).
local lineStates = {}

-- Each line's counter, or which lines are missing; nil, missing when any is.
local function readCounters(part)
  local missing
  for i = 1, part.lines do
    local key = KEYS[part.firstKey - 1 + i]
    local c = counterOf(key)
    if not c[4] or (c[7] or "0") ~= generation then
      missing = missing or { "MISSING" }
      missing[#missing + 1] = i
    elseif not missing then
      local q = ARGV[part.firstQuantity - 1 + i]
      local s = lineStates[i]
      if not s then
        s = {}
        lineStates[i] = s
      end
      s.key, s.q, s.qText, s.pinned, s.from = key, tonumber(q), q, ARGV[part.firstLocation - 1 + i], nil
      s.available, s.floor, s.unlimited, s.withheld = tonumber(c[1]), tonumber(c[3]), c[2] == "1", tonumber(c[6]) or 0
      s.epochText, s.limit, s.tat, s.buckets, s.lo = c[4], tonumber(c[THROTTLE]), tonumber(c[SCHEDULE]), tonumber(c[8]) or 1, c[9]
    end
  end
  if missing then return nil, missing end
  return lineStates
end

-- A line takes q units (its digits qText) from its counter (knownCounters' entry) into its target
-- field; returns the share left (available: the share as readCounters read it, a number). The counter's
-- first take in the call writes at once (a spread of SKUs has most counters taken once); the later ones
-- add up in a table made whole by its constructor (one that grows a field at a time is rehashed each
-- time), written once the parts are done (writeAll). An unlimited line moves only its target field, at
-- once (its share never moves).
local function takeFromCounter(key, counter, target, q, qText, unlimited, available)
  if unlimited then
    redis.call("HINCRBY", key, target, qText)
    return nil
  end
  local firstTake = type(counter[SHARE]) == "string"
  -- Not tonumber(counter[SHARE]) again: a text becomes a number through strtod, thousands of instructions.
  counter[SHARE] = (firstTake and available or counter[SHARE]) - q
  if firstTake then
    redis.call("HINCRBY", key, "a", "-" .. qText)
    redis.call("HINCRBY", key, target, qText)
    return counter[SHARE]
  end
  local taken = writes.counters[key]
  if not taken then
    taken = { a = 0, s = 0, r = 0 }
    writes.counters[key] = taken
    writes.counterKeys[#writes.counterKeys + 1] = key
  end
  taken.a = taken.a - q
  taken[target] = taken[target] + q
  return counter[SHARE]
end

-- The throttled refusal, or nil once every throttled line admitted the attempt.
local function throttle(state, lines)
  local throttled, admitted
  for i = 1, lines do
    local s = state[i]
    if s.limit and s.limit > 0 then
      local after = math.max(s.tat or nowMs, nowMs) + THROTTLE_WINDOW_MS / s.limit
      if after - nowMs > THROTTLE_WINDOW_MS then
        throttled = throttled or { "THROTTLED", 0 }
        throttled[#throttled + 1] = i
        throttled[2] = math.max(throttled[2], math.ceil(after - nowMs - THROTTLE_WINDOW_MS))
      else
        admitted = admitted or {}
        admitted[i] = after
      end
    end
  end
  if throttled then return throttled end
  for i, after in pairs(admitted or {}) do
    redis.call("HSET", state[i].key, "tt", after)
    knownCounters[state[i].key][SCHEDULE] = after
  end
  return nil
end

-- 1 when the filter is complete and lacks one of the key's bits: the key was never taken. (GETBIT stops
-- at the first bit unset, mostly the first: cheaper than one BITFIELD_RO of all of them, measured with four.)
local function freshness(bits, count)
  if not filterComplete then return 0 end
  for i = 1, count do
    if redis.call("GETBIT", KEYS[5], bits[i]) == 0 then return 1 end
  end
  return 0
end

-- The records hash's name as JSON, encoded once a call, not once a part.
local RECORDS_JSON = cjson.encode(KEYS[1])

-- What reconciliation needs to give a part back (src/gate/replies.ts decodeInFlight), as JSON: the texts
-- cjson writes, and the numbers spliced in as the digits they came as (see WHOLE_NUMBER); the kind, one of
-- TARGET's names (checked before anything), as it is. `npm run bench:gate`: 165,078 -> 162,790 Redis
-- instructions per hot cart, 374,347 -> 372,684 per 3-line cart.
local function inFlightPayload(part, counters, quantities, epochs, unlimited, sources)
  return '{"k":"' .. part.kind .. '","i":' .. RECORDS_JSON .. ',"f":' .. cjson.encode(part.field)
    .. ',"c":' .. cjson.encode(counters) .. ',"q":[' .. table.concat(quantities, ",") .. '],"e":[' .. table.concat(epochs, ",")
    .. '],"u":[' .. table.concat(unlimited, ",") .. '],"l":' .. cjson.encode(sources) .. ',"t":' .. now .. "}"
end

-- An OK reply of `lines` lines, made at its full size where a constructor can (Lua 5.1 has no other
-- way to size a table once): one grown an element at a time is reallocated as it doubles, three
-- times for a one-line part, four for three lines (`npm run bench:gate`: 124,013 -> 121,198 Redis
-- instructions a hot cart, 307,450 -> 303,609 a 3-line cart).
local function okReply(lines)
  if lines == 1 then return { "OK", false, false, false, false, false } end
  if lines == 2 then return { "OK", false, false, false, false, false, false, false, false, false } end
  if lines == 3 then return { "OK", false, false, false, false, false, false, false, false, false, false, false, false, false } end
  return { "OK" }
end

-- A part's in-flight lists (takeLines), reused by every part: their first part.lines entries, the rest nil.
local epochs, taken, unlimited, counters, sources = {}, {}, {}, {}, {}

-- Takes every line of a part that all can serve: the OK reply.
local function takeLines(part, state, fresh)
  local target = TARGET[part.kind]
  for i = part.lines + 1, #counters do
    epochs[i], taken[i], unlimited[i], counters[i], sources[i] = nil, nil, nil, nil, nil
  end
  local reply = okReply(part.lines)
  for i = 1, part.lines do
    local s = state[i]
    local share = takeFromCounter(s.key, knownCounters[s.key], target, s.q, s.qText, s.unlimited, s.available)
    local after = share and share + s.withheld or 0
    takeFrom(s.key, s.from, s.unlimited)
    epochs[i], taken[i], unlimited[i], counters[i], sources[i] = s.epochText, s.qText, s.unlimited and "1" or "0", s.key, s.from
    local at = 4 * i - 2
    reply[at] = s.epochText
    -- One bucket of several knows only its own level: "" (the caller reads the SKU's, if it must).
    reply[at + 1] = s.buckets > 1 and "" or after
    reply[at + 2] = s.unlimited and 1 or 0
    reply[at + 3] = s.from
  end
  local index, payloads = writes.inFlightIndex, writes.inFlightPayloads
  index[#index + 1] = now
  index[#index + 1] = part.gateId
  payloads[#payloads + 1] = part.gateId
  payloads[#payloads + 1] = inFlightPayload(part, counters, taken, epochs, unlimited, sources)
  reply[4 * part.lines + 2] = fresh
  return reply
end

-- The part's filter bits (takePart), reused by every part: its first bitCount entries.
local partBits = {}

-- One part, as take.lua alone would answer it.
local function takePart(part)
  local recorded = part.field ~= ""
  local bits, bitCount = partBits, 0
  if recorded then
    for bit in string.gmatch(part.bits, "%d+") do
      bitCount = bitCount + 1
      bits[bitCount] = bit
    end
  end
  local fresh = freshness(bits, bitCount)
  -- A key the complete filter lacks was never taken, so it has no record: only the others are looked up.
  local seen = recorded and fresh == 0
    and (redis.call("HGET", KEYS[1], part.field) or redis.call("HGET", KEYS[2], part.field))
  if seen then
    -- Records are "fingerprint:token"; one without a separator (written by no take) matches nothing.
    local separator = string.find(seen, ":", 1, true)
    if separator and string.sub(seen, 1, separator - 1) == part.fp then return { "REPLAY", string.sub(seen, separator + 1) } end
    return { "CONFLICT" }
  end
  local state, missing = readCounters(part)
  if not state then return missing end
  local throttled = throttle(state, part.lines)
  if throttled then return throttled end
  local short
  for i = 1, part.lines do
    local s, obtainable = state[i], nil
    s.from, obtainable = allocate(s.key, s.lo, s.pinned, s.q, s.available, s.floor, s.unlimited)
    if not s.from then
      short = short or { "SHORT" }
      short[#short + 1] = i
      short[#short + 1] = obtainable
      -- Units withheld are the SKU's, not a pinned location's: only an allocated line may take them back.
      short[#short + 1] = s.pinned == "" and s.withheld or 0
      short[#short + 1] = s.buckets
    end
  end
  if short then
    table.insert(short, 2, fresh)
    return short
  end
  -- Each part is taken whole (counters, record, filter bits, in-flight entry) before the next starts:
  -- a later part refused leaves the earlier ones in flight, for reconciliation to settle (I3).
  if recorded then
    redis.call("HSET", KEYS[1], part.field, part.fp .. ":" .. string.sub(part.gateId, 1, GATE_TOKEN_LENGTH))
    if not expiring then
      redis.call("EXPIRE", KEYS[1], lifetime, "NX")
      expiring = true
    end
    for i = 1, bitCount do redis.call("SETBIT", KEYS[5], bits[i], "1") end
  end
  return takeLines(part, state, fresh)
end

-- The writes the parts gathered, one command for each structure (and counter field).
local function writeAll()
  if #writes.inFlightIndex > 0 then
    redis.call("ZADD", KEYS[3], unpack(writes.inFlightIndex))
    redis.call("HSET", KEYS[4], unpack(writes.inFlightPayloads))
  end
  -- In the order the parts first took from them, so the writes replicated are the same on every run;
  -- %d, as %.14g (tostring) may write a sum with an exponent.
  for _, key in ipairs(writes.counterKeys) do
    local taken = writes.counters[key]
    if taken.a ~= 0 then redis.call("HINCRBY", key, "a", string.format("%d", taken.a)) end
    for _, target in ipairs(TAKEN_FIELDS) do
      if taken[target] ~= 0 then redis.call("HINCRBY", key, target, string.format("%d", taken[target])) end
    end
  end
end

local replies = {}
-- A part that fails at run time (a counter of the wrong type, say) leaves the parts before it whole,
-- their gathered writes included, so reconciliation finds their takes in flight (I3): written, then raised.
local allTaken, failure = pcall(function()
  for p = 1, #partArgs do replies[p] = takePart(readPart(p)) end
end)
writeAll()
if not allTaken then error(failure) end
return replies
