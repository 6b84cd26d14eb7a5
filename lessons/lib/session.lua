--[[ session.lua: a web session as one hash, `session:<id>`.

A hash, not one JSON string: a field can be read or changed alone (HGET,
HSET, HINCRBY), so two app servers updating different fields, or the same
counter, never overwrite each other's changes. HSET and HINCRBY keep the
key's TTL; a SET of a whole JSON string without EX would drop it.

Two expiries at once. Sliding (idle) expiry: every request pushes the TTL
back to `idle_ms`. Absolute expiry: the session dies `max_ms` after login
however active it is. A plain `EXPIRE key idle` on every request overwrites
an EXPIREAT set at login, so the absolute limit is kept in the hash
(`_deadline`, on the server's clock) and every touch sets the TTL to the
smaller of the two, in one script. ]]

local M = {}

local function key(id)
  return "session:" .. id
end

-- The server's clock in ms; scripts may read TIME before writing in Redis 7.
local NOW_MS = [[
local t = redis.call("TIME")
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
]]

-- KEYS[1]: the session. ARGV: idle_ms, max_ms, then field, value pairs.
M.CREATE_SCRIPT = NOW_MS .. [[
local idle, max = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call("DEL", KEYS[1])
redis.call("HSET", KEYS[1], "_deadline", now_ms + max, unpack(ARGV, 3))
redis.call("PEXPIRE", KEYS[1], math.min(idle, max))
return 1
]]

-- KEYS[1]: the session. ARGV: idle_ms.
-- Returns the ms the session now has left, or 0 if it is gone.
M.TOUCH_SCRIPT = NOW_MS .. [[
local deadline = tonumber(redis.call("HGET", KEYS[1], "_deadline"))
if not deadline then return 0 end
local left = math.min(tonumber(ARGV[1]), deadline - now_ms)
if left <= 0 then
  redis.call("DEL", KEYS[1])
  return 0
end
redis.call("PEXPIRE", KEYS[1], left)
return left
]]

--- Starts a session with `fields` (a table of strings or numbers), idle
-- for at most `idle_ms` and alive for at most `max_ms` in all.
function M.create(id, fields, idle_ms, max_ms)
  local names = {}
  for name in pairs(fields) do names[#names + 1] = name end
  -- Sorted, so the command is the same on every run.
  table.sort(names)
  local args = {}
  for _, name in ipairs(names) do
    args[#args + 1] = name
    args[#args + 1] = fields[name]
  end
  return redis.call("EVAL", M.CREATE_SCRIPT, 1, key(id), idle_ms, max_ms, unpack(args))
end

--- A request arrived: slide the idle expiry, capped by the absolute one.
-- Returns the ms left, or 0 when the session has ended.
function M.touch(id, idle_ms)
  return redis.call("EVAL", M.TOUCH_SCRIPT, 1, key(id), idle_ms)
end

--- One field, or nil.
function M.get(id, field)
  return redis.call("HGET", key(id), field) or nil
end

--- Sets one field; the TTL stays.
function M.set(id, field, value)
  return redis.call("HSET", key(id), field, value)
end

--- Adds to a numeric field in one command (a cart count from two tabs).
function M.incr(id, field, n)
  return redis.call("HINCRBY", key(id), field, n or 1)
end

return M
