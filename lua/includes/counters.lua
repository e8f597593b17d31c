--[[
  Shared by every script that moves units: which counter a movement kind fills, so that taking and
  giving back are one table and cannot disagree.
  A SKU counter is a hash: a = the gate's share of available (what it may sell: available minus the
  units withheld for the database-only path), h = withheld (available = a + h), r = reserved, s = sold,
  u = unlimited (0/1),
  f = floor (minus the backorder limit), e = epoch (see src/ledger/truth.ts), n = name,
  t = hot-SKU throttle, attempts per second (absent for none), tt = the throttle's schedule (take.lua),
  g = the gate's generation it was loaded under (adopt-3.lua; absent is 0),
  nb = the bucket count of a SKU split into buckets, and ts = its throttle as set (each bucket's t is
  its part of it), on its first bucket only (seed.lua; absent: 1 bucket, t as set), and lt = the
  low-stock threshold of the counter's epoch, when its loader read it ("" for none), on its first bucket
  (seed.lua; lua/announce-3.lua).
  Of a SKU split into buckets, each bucket's counter holds its part of a; r, s, h, n and the floor are
  the first bucket's (the others start at 0), so the SKU's levels are the buckets' sums.
]]
local TARGET = { DEDUCT = "s", RESERVE = "r" }
