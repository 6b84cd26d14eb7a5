--[[ ratelimit2.lua: two more limiters, both O(1) memory per client, to set
beside ratelimit.lua's fixed window, sliding log and token bucket, and that
sliding log again on the server's clock.

Sliding-window counter: the fixed window's two counters (this window and the
last), with the last one weighted by how much of it still overlaps the
sliding window. Two integers instead of one entry per request; the estimate
assumes the last window's requests were spread evenly.

GCRA (generic cell rate algorithm): one number per client, the theoretical
arrival time (TAT) of the next request if requests came exactly at the
allowed rate. A request is allowed unless it comes more than `burst`
intervals ahead of that schedule. Same behaviour as a token bucket, but one
key holding one integer, and it says when to retry.

These live in their own file so that ratelimit.lua, which the first rate
limiting lessons read line by line, stays short.

All three take their time from the Redis server (TIME inside the script) unless
`opts.clock == "client"`: app servers' clocks disagree, and a limiter that
trusts each caller's clock gives a fast clock's callers more room (the
sliding-log lesson shows it). Redis 7 replicates a script's effects, not the
script, so reading TIME in a script that writes is allowed. ]]

local M = {}

--- The current time in microseconds, from the server unless told otherwise.
-- Inside a script "" means "read TIME"; a number is the caller's clock.
local function now_arg(opts)
  if opts and opts.clock == "client" then
    return math.floor(now()) * 1000
  end
  return ""
end

-- Shared by both scripts: ARGV[1] is the caller's time in µs, or "" for
-- the server's.
local SERVER_TIME = [[
local function now_us(arg)
  if arg ~= "" then return tonumber(arg) end
  local t = redis.call("TIME")
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
]]

-- KEYS[1]: a hash {window, current, previous}.
-- ARGV: now (µs or ""), window (ms), limit.
-- Returns {allowed (1/0), the estimate before this request (rounded down)}.
M.SLIDING_COUNTER_SCRIPT = SERVER_TIME .. [[
local t = math.floor(now_us(ARGV[1]) / 1000)
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local index = math.floor(t / window)
local h = redis.call("HMGET", KEYS[1], "window", "current", "previous")
local stored, current, previous = tonumber(h[1]), tonumber(h[2]) or 0, tonumber(h[3]) or 0
if stored == index - 1 then
  -- A new window began: this one's count becomes the previous one.
  previous, current = current, 0
elseif stored ~= index then
  -- Nothing in the last two windows.
  previous, current = 0, 0
end
-- The part of the previous window still inside the sliding window.
local overlap = (window - (t % window)) / window
local estimate = previous * overlap + current
local allowed = 0
if estimate + 1 <= limit then
  current = current + 1
  allowed = 1
end
redis.call("HSET", KEYS[1], "window", index, "current", current, "previous", previous)
redis.call("PEXPIRE", KEYS[1], 2 * window)
return {allowed, math.floor(estimate)}
]]

--- Sliding-window counter: at most about `limit` requests in any
-- `window_ms`. Returns allowed (true/false) and the estimated count.
function M.sliding_counter(key, limit, window_ms, opts)
  local reply = redis.call("EVAL", M.SLIDING_COUNTER_SCRIPT, 1, key,
                           now_arg(opts), window_ms, limit)
  return reply[1] == 1, reply[2]
end

-- KEYS[1]: the theoretical arrival time of the next request, in µs.
-- ARGV: now (µs or ""), period (ms), limit per period, burst.
-- Returns {allowed (1/0), ms to wait before a retry can pass (0 if allowed)}.
M.GCRA_SCRIPT = SERVER_TIME .. [[
local t = now_us(ARGV[1])
local period = tonumber(ARGV[2]) * 1000
local limit = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
-- The emission interval: the spacing of requests at exactly the allowed rate.
local interval = math.floor(period / limit)
local tat = tonumber(redis.call("GET", KEYS[1])) or t
if tat < t then tat = t end
local new_tat = tat + interval
-- Allowed unless this request is more than `burst` intervals early.
local allow_at = new_tat - burst * interval
if t < allow_at then
  return {0, math.ceil((allow_at - t) / 1000)}
end
-- The key can go once the schedule has caught up with the clock.
redis.call("SET", KEYS[1], new_tat, "PX", math.ceil((new_tat - t) / 1000) + 1)
return {1, 0}
]]

--- GCRA: `limit` requests per `period_ms` on average, up to `burst` at
-- once. Returns allowed (true/false) and the ms to wait when refused.
function M.gcra(key, limit, period_ms, burst, opts)
  local reply = redis.call("EVAL", M.GCRA_SCRIPT, 1, key, now_arg(opts),
                           period_ms, limit, burst or 1)
  return reply[1] == 1, reply[2]
end

-- KEYS[1]: a sorted set of request times (ms), one member per request.
-- ARGV: now (µs or ""), window (ms), limit, a unique member.
M.SLIDING_LOG_SCRIPT = SERVER_TIME .. [[
local t = math.floor(now_us(ARGV[1]) / 1000)
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", t - window)
if redis.call("ZCARD", KEYS[1]) < limit then
  redis.call("ZADD", KEYS[1], t, ARGV[4])
  redis.call("PEXPIRE", KEYS[1], window)
  return 1
end
return 0
]]

--- Sliding-window log on the server's clock: ratelimit.sliding_log without
-- the trust in each caller's clock. Returns true or false.
function M.sliding_log(key, limit, window_ms, opts)
  local reply = redis.call("EVAL", M.SLIDING_LOG_SCRIPT, 1, key, now_arg(opts),
                           window_ms, limit, uuid())
  return reply == 1
end

return M
