--[[ consumer.lua: a worker in a Redis stream consumer group.

A message read with XREADGROUP stays in the group's pending entries list
(PEL) under this consumer's name until XACK. If the consumer dies first,
the message stays pending forever: nobody else is given it by `>`. So a
worker also claims messages that have sat pending longer than `min_idle_ms`
(XAUTOCLAIM, Redis 6.2+): the dead consumer's work becomes its own.

That makes delivery at-least-once: a consumer that did the work but died
before XACK has its message processed again. `handle` must therefore be
idempotent — here it returns true when the message is done, including
"already done before" — and only then is the message acknowledged.

The loop polls (COUNT, then a short sleep when idle) rather than using
BLOCK, so the simulator's timeline shows each read. ]]

local M = {}

--- Turns a flat {field, value, ...} list into a table.
local function fields_of(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

--- Handles a list of {id, {field, value, ...}} entries; acknowledges the
-- ones `handle` finished. Returns how many were acknowledged.
local function process(stream, group, entries, handle)
  local done = 0
  for _, entry in ipairs(entries) do
    local id, flat = entry[1], entry[2]
    -- A claimed entry that was deleted from the stream comes back empty.
    if flat and handle(id, fields_of(flat)) then
      redis.call("XACK", stream, group, id)
      done = done + 1
    end
  end
  return done
end

--- Runs a worker until `until_ms` on its clock. opts: count (per read,
-- default 10), idle_sleep_ms (default 200), min_idle_ms (claim others'
-- pending messages idle that long; nil: never claim).
-- Returns the number of messages acknowledged.
function M.run(stream, group, name, handle, until_ms, opts)
  opts = opts or {}
  local count = opts.count or 10
  local acked = 0
  while now() < until_ms do
    local got = 0
    if opts.min_idle_ms then
      local claimed = redis.call("XAUTOCLAIM", stream, group, name, opts.min_idle_ms,
                                 "0", "COUNT", count)
      got = got + #claimed[2]
      acked = acked + process(stream, group, claimed[2], handle)
    end
    local reply = redis.call("XREADGROUP", "GROUP", group, name, "COUNT", count,
                             "STREAMS", stream, ">")
    if reply then
      local entries = reply[1][2]
      got = got + #entries
      acked = acked + process(stream, group, entries, handle)
    end
    if got == 0 then sleep(opts.idle_sleep_ms or 200) end
  end
  return acked
end

return M
