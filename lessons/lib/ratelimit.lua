--[[ ratelimit.lua: three ways to allow at most `limit` requests per window.
Fixed window: one counter per window (INCR + PEXPIRE); cheap, but a burst at the
end of one window and the start of the next lets 2 x limit through within one
window's length. Sliding log: one sorted-set entry per request, trimmed to the
window in one script; exact, but stores every request. Token bucket: a steady
refill, bursts up to its size. All three trust the caller's clock (now()). ]]

local M = {}

--- Fixed window: the counter key is named after the current window.
-- Returns allowed (true/false) and the count in this window.
function M.fixed_window(key, limit, window_ms)
  local window = math.floor(now() / window_ms)
  local counter = key .. ":" .. window
  local count = redis.call("INCR", counter)
  if count == 1 then
    -- The first request of the window makes the counter expire with it.
    redis.call("PEXPIRE", counter, window_ms)
  end
  return count <= limit, count
end

-- KEYS[1]: a sorted set of this client's recent requests, scored by time.
-- ARGV: now (ms), window (ms), limit, a unique member for this request.
M.SLIDING_LOG_SCRIPT = [[
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
-- Forget requests that have left the window.
redis.call("ZREMRANGEBYSCORE", key, "-inf", now - window)
if redis.call("ZCARD", key) < limit then
  redis.call("ZADD", key, now, ARGV[4])
  redis.call("PEXPIRE", key, window)
  return 1
end
return 0
]]

--- Sliding-window log: allowed if fewer than `limit` requests in the last
-- `window_ms`. Returns true or false.
function M.sliding_log(key, limit, window_ms)
  local t = math.floor(now())
  local member = t .. "-" .. uuid()
  local reply = redis.call("EVAL", M.SLIDING_LOG_SCRIPT, 1, key, t, window_ms, limit, member)
  return reply == 1
end

-- KEYS[1]: a hash {tokens, ts}.
-- ARGV: capacity, refill rate (tokens per second), now (ms), cost.
M.TOKEN_BUCKET_SCRIPT = [[
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local bucket = redis.call("HMGET", KEYS[1], "tokens", "ts")
local tokens = tonumber(bucket[1]) or capacity
local last = tonumber(bucket[2]) or now
-- Refill for the time since the last request, up to the bucket's size.
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate / 1000)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call("HSET", KEYS[1], "tokens", tokens, "ts", now)
-- An untouched bucket is full again after capacity/rate seconds: drop it then.
redis.call("PEXPIRE", KEYS[1], math.ceil(capacity / rate * 1000) + 1000)
return allowed
]]

--- Token bucket: up to `capacity` requests at once, then `rate` per second.
-- Returns true or false.
function M.token_bucket(key, capacity, rate, cost)
  local reply = redis.call("EVAL", M.TOKEN_BUCKET_SCRIPT, 1, key,
                           capacity, rate, math.floor(now()), cost or 1)
  return reply == 1
end

return M
