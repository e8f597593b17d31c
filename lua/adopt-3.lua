--[[
  Adopts the Redis server a connection has (re)connected to, before the gate takes anything there
  (src/gate/gate.ts). A server whose replication id is not the one the gate's data was last adopted
  under holds another history: a replica promoted after its master died (replication is asynchronous,
  so it may lack the master's last takes), or a server restarted from an older snapshot. Its counters
  may then still offer units the ledger has sold, so none of them may sell: the generation moves on,
  and a counter of another generation counts as missing (take.lua, seed.lua, announce-3.lua,
  Gate.levels), to be loaded from the truth under a new epoch. The replay filter is marked incomplete
  (bit 0 cleared), so it is rebuilt from the ledger instead of vouching for keys it may have lost.

  KEYS[1]    the replication id the gate's data was last adopted under
  KEYS[2]    the gate's generation (an integer; absent is 0)
  KEYS[3]    replay filter (bit 0: complete)

  The replication id is read here, from the server that holds the keys (in a Redis Cluster, the master
  of their slot), so it is that server's own whoever calls.

  Returns the generation in force.
]]
local replicationId = string.match(redis.call("INFO", "replication"), "master_replid:(%w+)")
if not replicationId then return redis.error_reply("INFO replication names no master_replid") end
if redis.call("GET", KEYS[1]) == replicationId then return tonumber(redis.call("GET", KEYS[2]) or "0") end
redis.call("SET", KEYS[1], replicationId)
if redis.call("EXISTS", KEYS[3]) == 1 then redis.call("SETBIT", KEYS[3], 0, 0) end
return redis.call("INCR", KEYS[2])
