--[[ cache.lua: cache-aside, three ways to rebuild a missing value.

`load` is the caller's function that reads the source of truth (in the
lessons, a database actor read with db.get). The cache never writes the
database.

get_or_load: plain cache-aside. On a miss every caller loads, so when a hot
key expires every request in flight queries the database (a stampede).

get_or_load_locked: on a miss one caller takes a rebuild lock (SET NX PX) and
loads; the others wait for the value and read it from the cache. The lock's
TTL bounds how long a dead rebuilder blocks the rest, and its release checks
the token, so a rebuild that outlived its lock does not free someone else's.

get_early: probabilistic early expiry (XFetch, Vattani et al., 2015). Each
read may decide to rebuild before the TTL runs out, with a probability that
grows as expiry nears and with how long a rebuild takes (`delta`, measured
and stored with the value): rebuild when delta * beta * -ln(random()) is at
least the remaining TTL. Readers spread out in time rarely agree to rebuild
together, and no one waits. The remaining TTL comes from the server (PTTL),
so the callers' clocks do not matter. ]]

local lock = require("lock")

local M = {}

--- Cache-aside: the cached value, or load() stored for `ttl_ms`. Returns the
-- value and whether it came from the cache.
function M.get_or_load(key, ttl_ms, load)
  local cached = redis.call("GET", key)
  if cached then return cached, true end
  local value = load()
  redis.call("SET", key, value, "PX", ttl_ms)
  return value, false
end

--- Cache-aside with a rebuild lock. opts: lock_ms (the lock's TTL, default
-- 2000), wait_ms (between looks while another caller rebuilds, default 50),
-- tries (looks before loading anyway, default 40). Returns the value and how
-- it was obtained: "hit", "rebuilt", "waited" or "gave up waiting".
function M.get_or_load_locked(key, ttl_ms, load, opts)
  opts = opts or {}
  local cached = redis.call("GET", key)
  if cached then return cached, "hit" end
  local lock_key = "lock:" .. key
  local token = uuid()
  for _ = 1, opts.tries or 40 do
    if lock.acquire(lock_key, token, opts.lock_ms or 2000) then
      -- Someone may have finished a rebuild between our GET and the lock.
      local value = redis.call("GET", key)
      if not value then
        value = load()
        redis.call("SET", key, value, "PX", ttl_ms)
      end
      lock.release(lock_key, token)
      return value, "rebuilt"
    end
    sleep(opts.wait_ms or 50)
    cached = redis.call("GET", key)
    if cached then return cached, "waited" end
  end
  -- The rebuilder is stuck or dead and its lock has not expired yet: answer
  -- from the database rather than fail the request.
  return load(), "gave up waiting"
end

-- KEYS[1]: a hash {value, delta}. Returns {value or false, delta or false,
-- PTTL} in one round trip.
M.READ_EARLY_SCRIPT = [[
local h = redis.call("HMGET", KEYS[1], "value", "delta")
return {h[1], h[2], redis.call("PTTL", KEYS[1])}
]]

--- Should a reader rebuild now? delta: how long a rebuild takes (ms);
-- ttl_left: the key's remaining TTL (ms); beta > 1 rebuilds earlier.
function M.rebuild_early(delta, ttl_left, beta)
  return delta * beta * -math.log(random()) >= ttl_left
end

--- Probabilistic early expiry. Returns the value and "hit", "early" (rebuilt
-- before the TTL ran out) or "miss".
function M.get_early(key, ttl_ms, load, beta)
  local reply = redis.call("EVAL", M.READ_EARLY_SCRIPT, 1, key)
  local value, delta, ttl_left = reply[1], tonumber(reply[2]), reply[3]
  local how = "miss"
  if value then
    if not M.rebuild_early(delta or 0, ttl_left, beta or 1) then
      return value, "hit"
    end
    how = "early"
  end
  local started = now()
  value = load()
  redis.call("HSET", key, "value", value, "delta", now() - started)
  redis.call("PEXPIRE", key, ttl_ms)
  return value, how
end

--- After a write to the database: drop the cached copy so the next read
-- loads the new value.
function M.invalidate(key)
  return redis.call("DEL", key)
end

return M
