--[[ lock.lua: a lock on one Redis node. The lock is a key holding a random
owner id, taken with SET key id NX PX ttl: only one client can create it, and it
disappears by itself if the holder dies. Known failure mode: the TTL is a guess.
A holder that stops for longer than the TTL (a GC pause, a lost VM) still thinks
it holds the lock after the key expired and someone else took it; only a fencing
token checked by the resource catches that. ]]

local M = {}

-- Delete the key only if it still holds our id: GET and DEL in one script, so
-- nothing can happen between the check and the delete.
M.RELEASE_SCRIPT = [[
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
else
  return 0
end
]]

-- Push the expiry forward only if the key still holds our id.
M.EXTEND_SCRIPT = [[
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
else
  return 0
end
]]

-- Take the lock and, in the same script, draw the next fencing token from a
-- counter that only ever grows.
M.FENCED_ACQUIRE_SCRIPT = [[
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  return redis.call("INCR", KEYS[2])
else
  return false
end
]]

-- An error reply comes back from pcall as {err = "..."}.
local function failed(reply)
  return type(reply) == "table" and reply.err ~= nil
end

--- The naive way, in two steps: SETNX, then EXPIRE.
-- If the client dies between the two commands the key never expires and
-- nobody can ever take the lock again.
function M.acquire_naive(key, owner, ttl_ms)
  local reply = redis.pcall("SETNX", key, owner)
  if failed(reply) then return false, reply.err end
  if reply ~= 1 then return false, "held by someone else" end
  redis.pcall("EXPIRE", key, math.ceil(ttl_ms / 1000))
  return true
end

--- One atomic step: SET key owner NX PX ttl.
-- Returns true, or false and why not (held by someone else, or an error such
-- as a timeout or a refused connection).
function M.acquire(key, owner, ttl_ms)
  local reply = redis.pcall("SET", key, owner, "NX", "PX", math.floor(ttl_ms))
  if failed(reply) then return false, reply.err end
  if reply ~= "OK" then return false, "held by someone else" end
  return true
end

--- Try `acquire` every `retry_ms` until it succeeds, at most `tries` times
-- (forever if `tries` is nil).
function M.acquire_retry(key, owner, ttl_ms, retry_ms, tries)
  local attempt = 0
  while true do
    attempt = attempt + 1
    local ok, why = M.acquire(key, owner, ttl_ms)
    if ok then return true end
    if tries and attempt >= tries then return false, why end
    sleep(retry_ms)
  end
end

--- Like `acquire`, but also returns a fencing token: a number that is higher
-- for every new holder. Pass it with each write so the resource can turn away
-- a holder whose lock has already passed to someone else.
-- Returns the token, or nil and why not.
function M.acquire_fenced(key, owner, ttl_ms, counter_key)
  counter_key = counter_key or (key .. ":token")
  local reply = redis.pcall("EVAL", M.FENCED_ACQUIRE_SCRIPT, 2, key, counter_key,
                            owner, math.floor(ttl_ms))
  if failed(reply) then return nil, reply.err end
  if not reply then return nil, "held by someone else" end
  return reply
end

--- Release without checking who holds the lock: a plain DEL.
-- If our TTL ran out and someone else took the lock, this deletes THEIR lock.
function M.release_unsafe(key)
  local reply = redis.pcall("DEL", key)
  return reply == 1
end

--- Release only if we still hold the lock (compare-and-delete).
-- Returns false when the lock had already expired or passed to someone else.
function M.release(key, owner)
  local reply = redis.pcall("EVAL", M.RELEASE_SCRIPT, 1, key, owner)
  return reply == 1
end

--- Renew: set the TTL to `ttl_ms` again, only if we still hold the lock.
-- Returns false when the lock is no longer ours (or the node did not answer).
function M.extend(key, owner, ttl_ms)
  local reply = redis.pcall("EVAL", M.EXTEND_SCRIPT, 1, key, owner, math.floor(ttl_ms))
  return reply == 1
end

--- A watchdog: a background task that renews the lock every ttl/3 while we
-- hold it. Call `dog.stop()` before releasing. If a renewal finds the lock
-- gone, `dog.lost` becomes true and the watchdog stops.
-- It cannot help while the whole process is paused: the watchdog is paused too.
function M.watchdog(key, owner, ttl_ms)
  local dog = { running = true, lost = false }
  function dog.stop() dog.running = false end
  spawn(function()
    while true do
      sleep(math.floor(ttl_ms / 3))
      if not dog.running then return end
      if not M.extend(key, owner, ttl_ms) then
        dog.lost = true
        dog.running = false
        log("watchdog: could not renew " .. key .. ", the lock may be lost")
        return
      end
    end
  end)
  return dog
end

--- The usual job, for `library = "lock"` clients: take the lock (retrying),
-- do the work inside the critical section, release.
-- params: key, section, ttl_ms, work_ms, retry_ms, tries.
function M.main(params)
  local key = params.key or "lock"
  local section = params.section or key
  local owner = uuid()
  local ok, why = M.acquire_retry(key, owner, params.ttl_ms or 10000,
                                  params.retry_ms or 100, params.tries)
  if not ok then error("could not take " .. key .. ": " .. tostring(why)) end
  enter(section)
  work(params.work_ms or 100)
  leave(section)
  M.release(key, owner)
end

return M
