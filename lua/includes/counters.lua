--[[
  Shared by every script that moves units: which counter a movement kind fills, so that taking and
  giving back are one table and cannot disagree.
  A SKU counter is a hash: a = available, r = reserved, s = sold, u = unlimited (0/1),
  f = floor (minus the backorder limit), e = epoch (see src/ledger/truth.ts), n = name,
  t = hot-SKU throttle, attempts per second (absent for none), tt = the throttle's schedule (deduct.lua).
]]
local TARGET = { DEDUCT = "s", RESERVE = "r" }
