-- The client API, installed once per world into the clients' Lua state.
--
-- Every function that needs the world yields a request to the simulator
-- (`coroutine.yield(op, ...)`) and returns what the simulator resumes it
-- with. Client programs are coroutines, so a program reads as straight-line
-- code while the simulator interleaves processes, delivers replies after
-- network delay, and freezes a process during a GC pause.

local yield = coroutine.yield
local create, resume, status = coroutine.create, coroutine.resume, coroutine.status

-- Arguments of redis.call travel as strings, converted as Redis converts a
-- script's arguments.
local function command_args(...)
  local n = select("#", ...)
  if n == 0 then
    error("Please specify at least one argument for this redis lib call", 4)
  end
  local args = {...}
  for i = 1, n do
    local kind = type(args[i])
    if kind == "number" then
      args[i] = tostring(args[i])
    elseif kind ~= "string" then
      error("Lua redis lib command arguments must be strings or integers", 4)
    end
  end
  return args, n
end

local function call(node, protected, ...)
  local args, n = command_args(...)
  local ok, value = yield("call", node, unpack(args, 1, n))
  if ok then
    return value
  elseif protected then
    return { err = value }
  else
    -- Level 3: the line of the program that called redis.call.
    error(value, 3)
  end
end

-- Several commands in one round trip: sent together, run in order, their
-- replies returned together as a list (an error reply as {err = ...}, as
-- redis.pcall gives it). MULTI ... EXEC in a pipeline is a transaction in
-- one round trip.
local function send_pipeline(node, commands)
  if type(commands) ~= "table" then
    error("pipeline expects a list of commands, each a list of arguments", 3)
  end
  local batch = {}
  for i = 1, #commands do
    local command = commands[i]
    if type(command) ~= "table" or #command == 0 then
      error("pipeline: command " .. i .. " is not a list of arguments", 3)
    end
    local args = {}
    for j = 1, #command do
      local kind = type(command[j])
      if kind == "number" then
        args[j] = tostring(command[j])
      elseif kind == "string" then
        args[j] = command[j]
      else
        error("Lua redis lib command arguments must be strings or integers", 3)
      end
    end
    batch[i] = args
  end
  if #batch == 0 then
    return {}
  end
  local ok, value = yield("pipeline", node, batch)
  if ok then
    return value
  end
  error(value, 3)
end

-- Not tail calls, so that an error can name the caller's line.
redis = {}
function redis.call(...) local reply = call(nil, false, ...) return reply end
function redis.pcall(...) local reply = call(nil, true, ...) return reply end
function redis.error_reply(text) return { err = text } end
function redis.status_reply(text) return { ok = text } end
function pipeline(commands) local replies = send_pipeline(nil, commands) return replies end
function pipeline_on(node, commands) local replies = send_pipeline(node, commands) return replies end
function call_on(node, ...) local reply = call(node, false, ...) return reply end
function pcall_on(node, ...) local reply = call(node, true, ...) return reply end

local function duration(ms, what)
  if type(ms) ~= "number" or ms ~= ms or ms < 0 then
    error(what .. " expects a number of milliseconds >= 0", 3)
  end
  return ms
end

function sleep(ms) yield("sleep", duration(ms, "sleep")) end
function work(ms) yield("work", duration(ms, "work")) end
function now() return (yield("now")) end
function uuid() return (yield("uuid")) end
function random(m, n) return (yield("random", m, n)) end
function enter(name) yield("enter", tostring(name)) end
function leave(name) yield("leave", tostring(name)) end

-- Pub/sub. SUBSCRIBE of several channels answers once per channel: the
-- first answer is the call's reply, the others wait in the connection's
-- inbox, where these helpers take them so that the program reads the
-- subscription count and next_message reads messages.
local function subscription(command, ...)
  local first = call(nil, false, command, ...)
  local last = yield("confirmations")
  return last or first[3]
end

function subscribe(...) local n = subscription("SUBSCRIBE", ...) return n end
function psubscribe(...) local n = subscription("PSUBSCRIBE", ...) return n end
function unsubscribe(...) local n = subscription("UNSUBSCRIBE", ...) return n end
function punsubscribe(...) local n = subscription("PUNSUBSCRIBE", ...) return n end

-- The next message on this task's connection: {kind, channel, data} (and
-- pattern), or nil and why ("timeout", or the server closed the
-- connection). Without a timeout it waits as long as the run lasts.
function next_message(timeout_ms)
  if timeout_ms ~= nil then
    duration(timeout_ms, "next_message")
  end
  return yield("next_message", timeout_ms)
end

function spawn(fn, ...)
  if type(fn) ~= "function" then
    error("spawn expects a function", 2)
  end
  yield("spawn", fn, ...)
end

function log(...)
  local parts = {}
  for i = 1, select("#", ...) do
    parts[i] = tostring((select(i, ...)))
  end
  yield("log", table.concat(parts, " "))
end

function write(resource, request)
  if type(request) ~= "table" then
    request = { value = request }
  end
  local ok, reason = yield("write", tostring(resource), request.id, request.token, request.value)
  if ok then return true end
  return false, reason
end

-- The database actor ([[database]]): each call is a round trip that waits
-- for a connection, so its time grows with the database's load.
local function query(name, op, key, value, condition, expected)
  if type(key) ~= "string" and type(key) ~= "number" then
    error("db." .. op .. " expects a row key (a string)", 3)
  end
  local ok, answer = yield("query", tostring(name), op, tostring(key),
    value ~= nil and tostring(value) or "", condition or "", expected)
  if not ok then
    error(answer, 3)
  end
  return answer
end

db = {}
-- The row's value (nil when there is none) and its version (0: none).
function db.get(name, key)
  local a = query(name, "get", key)
  return a.value, a.version
end
-- Writes the row; returns its new version.
function db.put(name, key, value)
  return query(name, "put", key, value).version
end
-- Writes only if the row is as `condition` says: {version = n} (0: the
-- row does not exist), {value = "free"}, or {absent = true}. Returns
-- whether it wrote, and the row's value and version now.
function db.update(name, key, value, condition)
  if type(condition) ~= "table" then
    error("db.update expects a condition: {version = n}, {value = v} or {absent = true}", 2)
  end
  local a
  if condition.version ~= nil then
    a = query(name, "update", key, value, "version", condition.version)
  elseif condition.value ~= nil then
    a = query(name, "update", key, value, "value", tostring(condition.value))
  elseif condition.absent then
    a = query(name, "update", key, value, "absent")
  else
    error("db.update expects a condition: {version = n}, {value = v} or {absent = true}", 2)
  end
  return a.ok, a.value, a.version
end
-- Removes the row; returns whether it existed.
function db.delete(name, key)
  return query(name, "delete", key).ok
end

-- A consensus service ([[consensus]]): `local cs = consensus("etcd")`. Each
-- call is a round trip to the service's leader, answered once a majority of
-- its members have written it. A call that fails (no answer within the
-- client's timeout_ms: the leader is down or cut off, an election is under
-- way; or a refusal) returns nil and why, so a program can retry.
function consensus(name)
  name = tostring(name)
  local function call(op, ...)
    local ok, answer = yield("consensus", name, op, ...)
    if not ok then return nil, answer end
    if answer.error then return nil, answer.error end
    return answer
  end
  local cs = {}
  -- A new lease that lives ttl_ms past its last keepalive: its id.
  function cs.grant(ttl_ms)
    if type(ttl_ms) ~= "number" or ttl_ms <= 0 then
      error("cs.grant expects a TTL in ms above 0", 2)
    end
    local a, why = call("grant", ttl_ms)
    if not a then return nil, why end
    return a.lease
  end
  -- Restarts the lease's countdown: true, or nil and why (it expired).
  function cs.keepalive(lease)
    local a, why = call("keepalive", lease)
    if not a then return nil, why end
    return true
  end
  -- Ends the lease now, deleting the keys attached to it.
  function cs.revoke(lease)
    local a, why = call("revoke", lease)
    if not a then return nil, why end
    return true
  end
  -- Writes key only if it does not exist, attached to lease (optional).
  -- Returns true and the write's revision (a fencing token: later writes
  -- get higher ones), or false and the holder's value and revision, or nil
  -- and why the call failed.
  function cs.put_if_absent(key, value, lease)
    local a, why = call("put_if_absent", tostring(key), tostring(value), lease)
    if not a then return nil, why end
    if a.ok then return true, a.revision end
    return false, a.value, a.revision
  end
  -- The key's value and the revision of its last change (nil, 0: none).
  function cs.get(key)
    local a, why = call("get", tostring(key))
    if not a then return nil, why end
    return a.value, a.revision
  end
  -- Deletes the key: whether it existed.
  function cs.delete(key)
    local a, why = call("delete", tostring(key))
    if not a then return nil, why end
    return a.ok
  end
  return cs
end

-- Serving traffic ([[traffic]]). `next_request()` waits for the next
-- request routed to this client: a table {id =, user =, from =}, or nil
-- once no more will come (the traffic is over, none is on its way, and the
-- process's other tasks have ended). `respond(request, outcome)` records
-- how it went; `serve(handler)` runs `handler(request)` as a task of its
-- own for each request, so requests are served concurrently, and records
-- what it returns.
function next_request()
  local _, request = yield("next_request")
  return request
end

function respond(request, outcome)
  if type(request) ~= "table" or request.from == nil then
    error("respond expects the request table next_request gave", 2)
  end
  yield("respond", request.from, request.id, request.user, tostring(outcome))
end

function serve(handler)
  if type(handler) ~= "function" then
    error("serve expects a function(request) that returns an outcome", 2)
  end
  while true do
    local request = next_request()
    if request == nil then
      return
    end
    spawn(function()
      local outcome = handler(request)
      respond(request, outcome == nil and "ok" or outcome)
    end)
  end
end

-- pcall and xpcall as coroutines, so that code inside them can still call
-- the simulator (Lua 5.1 cannot yield across a C pcall).
local function finish(co, ok, ...)
  if not ok then
    return false, ...
  end
  if status(co) == "dead" then
    return true, ...
  end
  return finish(co, resume(co, yield(...)))
end

function pcall(fn, ...)
  if type(fn) ~= "function" then
    return false, "attempt to call a " .. type(fn) .. " value"
  end
  local co = create(fn)
  return finish(co, resume(co, ...))
end

function xpcall(fn, handler)
  local results = { pcall(fn) }
  if results[1] then
    return unpack(results, 1, table.maxn(results))
  end
  return false, handler(results[2])
end

-- Each library compiled once per Lua state, as a function that returns a
-- fresh instance of the chunk: every process still gets its own copy of a
-- library's state, without compiling it again.
local factories = {}

-- Keyed by name and source: a deployed release may ship its own version
-- of a library.
local function library_factory(name, source)
  local versions = factories[name]
  if versions == nil then
    versions = {}
    factories[name] = versions
  end
  local factory = versions[source]
  if factory == nil then
    local err
    -- On the first line, so line numbers in errors stay the library's own.
    factory, err = loadstring("return function(...) " .. source .. "\nend", "=" .. name .. ".lua")
    if not factory then
      error(err, 0)
    end
    versions[source] = factory
  end
  return factory
end

-- A fresh environment per process: its globals are its own, and its
-- libraries are loaded into it once.
function __lockstep_environment(me, params, libraries)
  local env = setmetatable({ me = me, params = params }, { __index = _G })
  local loaded = {}
  env.require = function(name)
    if loaded[name] ~= nil then
      return loaded[name]
    end
    local source = libraries[name]
    if source == nil then
      error("no library named '" .. tostring(name) .. "'", 2)
    end
    local chunk = library_factory(name, source)()
    setfenv(chunk, env)
    local module = chunk()
    if module == nil then
      module = true
    end
    loaded[name] = module
    return module
  end
  return env
end
