--[[
  Marks gate ids as safely in the ledger: they are no longer in flight, so reconciliation leaves them.

  KEYS[1]    in-flight index (zset)
  KEYS[2]    in-flight payloads (hash)

  ARGV[1..]  gate ids whose ledger rows committed

  Returns the number of gate ids that were still in flight.
]]
redis.call("ZREM", KEYS[1], unpack(ARGV))
return redis.call("HDEL", KEYS[2], unpack(ARGV))
