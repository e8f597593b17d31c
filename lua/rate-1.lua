--[[
  Per-caller request rate limit (the API's abuse limit, RATE_LIMIT_PER_MINUTE), shared by every
  instance. GCRA: a bucket of `limit` requests refilled evenly over `period`, kept as one theoretical
  arrival time, so there is no window edge where twice the limit gets through.

  KEYS[1]    the caller's schedule (string: theoretical arrival time, ms since epoch); it expires
             once the caller's bucket is full again, so idle callers cost nothing

  ARGV[1]    limit: requests per period, at least 1
  ARGV[2]    period, ms
  ARGV[3]    now, ms since epoch (the caller's clock, like every gate script)

  Returns 0 when the request is admitted (and counted), else how many ms until one would be (at
  least 1); a refused request is not counted.
]]
local limit, period, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if not limit or limit < 1 or not period or period <= 0 or not now then
  return redis.error_reply("bad rate limit arguments")
end
local tat = tonumber(redis.call("GET", KEYS[1])) or now
if tat < now then tat = now end
local after = tat + period / limit
if after - now > period then return math.ceil(after - now - period) end
redis.call("SET", KEYS[1], after, "PX", math.ceil(after - now))
return 0
