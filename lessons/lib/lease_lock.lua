--[==[ lease_lock.lua: a lock on a consensus service ([[consensus]], etcd- or
ZooKeeper-like). The lock is a key written only if absent, attached to a lease
the holder keeps alive with heartbeats; if the holder dies or is cut off for
longer than the TTL, the service (on its own clock) ends the lease and deletes
the key. Every write needs a majority of the service's members, so restarts,
partitions of a member and clock jumps do not let two clients take the key.
The revision of the write that took the key only grows: it is the fencing
token. Known failure mode, the same as every lease: a holder that stops (a GC
pause) for longer than the TTL still believes it holds the lock after the
service gave it to someone else; only the storage's fencing check catches
that. ]==]

local M = {}

-- Keeps the lease alive every ttl/4 until the lock is released or the lease
-- is gone (then lock.held turns false: the program can look before it acts).
local function heartbeat(lock, ttl_ms)
  spawn(function()
    while lock.held do
      sleep(ttl_ms / 4)
      if not lock.held then return end
      local ok, why = lock.cs.keepalive(lock.lease)
      if ok == nil and tostring(why):find("not found", 1, true) then
        lock.held = false
        log("lease", lock.lease, "lost:", why)
      end
    end
  end)
end

--- Takes `key` for `owner` with a lease of `ttl_ms`, trying `tries` times
-- `wait_ms` apart. Returns the lock {cs, key, lease, token, held}, or nil
-- and why not. A call that timed out may still have written the key: when
-- the key turns out to hold our own name on our own lease, it is ours.
function M.acquire(service, key, owner, ttl_ms, tries, wait_ms)
  local cs = consensus(service)
  local lease, why
  for attempt = 1, tries or 1 do
    if not lease then lease, why = cs.grant(ttl_ms) end
    if lease then
      local ok, a, b = cs.put_if_absent(key, owner, lease)
      local token = nil
      if ok then token = a elseif ok == false and a == owner then token = b end
      if token then
        local lock = { cs = cs, key = key, lease = lease, token = token, held = true }
        heartbeat(lock, ttl_ms)
        return lock
      end
      if ok == nil then
        why = a
        if tostring(a):find("not found", 1, true) then lease = nil end
      else
        why = "held by " .. tostring(a)
        -- Waiting our turn: our own lease must not run out meanwhile.
        cs.keepalive(lease)
      end
    end
    if attempt < (tries or 1) then sleep(wait_ms or 100) end
  end
  return nil, why
end

--- Gives the lock back: ends the lease, which deletes the key.
function M.release(lock)
  lock.held = false
  return lock.cs.revoke(lock.lease)
end

return M
