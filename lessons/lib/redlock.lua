--[[ redlock.lua: one lock over N independent Redis nodes (the Redlock algorithm
described on redis.io). Take the same key with SET NX PX on every node, giving
each a short timeout; the lock is ours if a majority said OK and there is time
left on it (validity = ttl - time spent acquiring - clock drift allowance).
Known failure mode: validity is measured on the client's own clock and assumes
the nodes' clocks run at the same speed and nothing pauses; a GC pause, a clock
jump on a node or a node restarting without its data breaks mutual exclusion. ]]

local M = {}

-- Same compare-and-delete as in lock.lua: only delete the key if it holds our id.
M.RELEASE_SCRIPT = [[
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
else
  return 0
end
]]

-- How long to wait for one node before moving on to the next. It must be
-- small compared to the TTL, so that a dead node does not eat the lock's time.
M.NODE_TIMEOUT_MS = 50

-- Send one command to one node but wait at most `timeout_ms` for its answer.
-- The command runs in a background task; if it is late we stop waiting and
-- return nil (the reply, if it ever comes, is ignored).
local function ask(node, timeout_ms, ...)
  local args = { ... }
  local reply = nil
  spawn(function()
    reply = pcall_on(node, unpack(args))
  end)
  local waited = 0
  while reply == nil and waited < timeout_ms do
    sleep(1)
    waited = waited + 1
  end
  return reply
end

--- Release the lock on every node (also those that said no: our SET may have
-- reached them even though their answer was lost).
function M.release(lock)
  for _, node in ipairs(lock.nodes) do
    ask(node, lock.node_timeout_ms, "EVAL", M.RELEASE_SCRIPT, 1, lock.key, lock.owner)
  end
end

--- Try to take `key` on all `nodes` for `ttl_ms`.
-- Returns a lock table {key, owner, nodes, validity_ms, acquired} on success,
-- or nil and a sentence saying why not.
-- opts (optional): owner (default: a fresh uuid), node_timeout_ms.
function M.acquire(nodes, key, ttl_ms, opts)
  opts = opts or {}
  local lock = {
    key = key,
    owner = opts.owner or uuid(),
    nodes = nodes,
    node_timeout_ms = opts.node_timeout_ms or M.NODE_TIMEOUT_MS,
  }
  local quorum = math.floor(#nodes / 2) + 1

  -- 1. Note the time, then try every node in turn.
  local start = now()
  local acquired = 0
  for _, node in ipairs(nodes) do
    local reply = ask(node, lock.node_timeout_ms, "SET", key, lock.owner,
                      "NX", "PX", math.floor(ttl_ms))
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
