--[[ redlock.lua: one lock over N independent Redis nodes (Redlock, as on redis.io).
Take the same key with SET NX PX on every node in turn, waiting only briefly for
each; the lock is ours if a majority said OK and time is left on it (validity =
ttl - time spent - clock drift allowance). Known failure mode: it trusts clocks
and timing. A GC pause, a clock jump on a node or a node restarting without its
data lets two clients hold the lock at once; it gives no fencing token. ]]

local M = {}

-- Same compare-and-delete as in lock.lua: only delete the key if it holds our id.
M.RELEASE_SCRIPT = [[
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
else
  return 0
end
]]

-- How long we wait for one node is the client's `timeout_ms` (set it in the
-- scenario): after it, pcall_on gives up and returns {err = "TIMEOUT ..."},
-- which counts as a "no". Keep it small compared to the TTL (tens of ms for a
-- TTL of seconds) so that a node that does not answer cannot eat the lock's
-- time.

--- Release the lock on every node (also those that said no: our SET may have
-- reached them even though their answer was lost).
function M.release(lock)
  for _, node in ipairs(lock.nodes) do
    pcall_on(node, "EVAL", M.RELEASE_SCRIPT, 1, lock.key, lock.owner)
  end
end

--- Try to take `key` on all `nodes` for `ttl_ms`.
-- Returns a lock table {key, owner, nodes, validity_ms, acquired} on success,
-- or nil and a sentence saying why not.
-- opts (optional): owner (default: a fresh uuid).
function M.acquire(nodes, key, ttl_ms, opts)
  opts = opts or {}
  local lock = {
    key = key,
    owner = opts.owner or uuid(),
    nodes = nodes,
  }
  local quorum = math.floor(#nodes / 2) + 1

  -- 1. Note the time, then try every node in turn.
  local start = now()
  local acquired = 0
  for _, node in ipairs(nodes) do
    local reply = pcall_on(node, "SET", key, lock.owner, "NX", "PX", math.floor(ttl_ms))
    if reply == "OK" then acquired = acquired + 1 end
  end

  -- 2. What is left of the TTL: minus the time we spent, minus an allowance
  --    for the nodes' clocks running faster than ours.
  local elapsed = now() - start
  local drift = ttl_ms * 0.01 + 2
  local validity = ttl_ms - elapsed - drift
  lock.acquired = acquired
  lock.validity_ms = validity

  -- 3. Ours only with a majority and time left; otherwise undo everywhere.
  if acquired >= quorum and validity > 0 then
    return lock
  end
  M.release(lock)
  return nil, string.format("got %d of %d nodes (need %d), validity %d ms",
                            acquired, #nodes, quorum, validity)
end

--- Try `acquire` every `retry_ms` (plus a random delay, so that competing
-- clients do not keep splitting the votes), at most `tries` times.
function M.acquire_retry(nodes, key, ttl_ms, retry_ms, tries, opts)
  local why
  for _ = 1, tries do
    local lock
    lock, why = M.acquire(nodes, key, ttl_ms, opts)
    if lock then return lock end
    sleep(retry_ms + random(0, retry_ms))
  end
  return nil, why
end

return M
