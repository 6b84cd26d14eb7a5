-- The script environment Redis 7 builds around user code, minus the parts
-- that live in Rust (command dispatch, sha1hex, the random generator).
-- Runs once per Lua state, as chunk "=lockstep"; frames of this chunk are
-- skipped when an error is attributed to a line of the user's script.
local host = ...
local error, type, select, unpack, tostring, floor =
  error, type, select, unpack, tostring, math.floor
local setmetatable, rawset, pairs = setmetatable, rawset, pairs
local builtin_pcall = pcall

-- luaPushError: an error table {err = "CODE message"}.
local function err_table(text)
  if text:sub(1, 1) == '-' then
    local space = text:find(' ', 1, true)
    if space then
      text = text:sub(2, space - 1) .. ' ' .. text:sub(space + 1)
    else
      text = 'ERR ' .. text:sub(2)
    end
  else
    text = 'ERR ' .. text
  end
  text = text:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = text}
end

local redis = host.redis

function redis.error_reply(...)
  local text = ...
  if select('#', ...) ~= 1 or type(text) ~= 'string' then
    return err_table('wrong number or type of arguments')
  end
  if text:sub(1, 1) ~= '-' then text = '-' .. text end
  return err_table(text)
end

function redis.status_reply(...)
  local text = ...
  if select('#', ...) ~= 1 or type(text) ~= 'string' then
    return err_table('wrong number or type of arguments')
  end
  return {ok = text}
end

redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3

redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3

-- Since 7.0 scripts always replicate their effects; kept for old scripts.
function redis.replicate_commands() return true end

function redis.breakpoint() return false end
function redis.debug() end

redis.REDIS_VERSION = '7.0.15'
redis.REDIS_VERSION_NUM = 0x0007000f

-- Redis's pcall: an error raised as {err = ...} reaches the script as its
-- message string.
local function pack(...) return {n = select('#', ...), ...} end
function pcall(f, ...)
  local r = pack(builtin_pcall(f, ...))
  if not r[1] then
    local e = host.error_value(r[2])
    if type(e) == 'table' and type(e.err) == 'string' then e = e.err end
    r[2] = e
  end
  return unpack(r, 1, r.n)
end

math.random, math.randomseed = host.random, host.randomseed

rawset(_G, 'redis', redis)
-- Redis's deny list: scripts cannot print or reach files.
rawset(_G, 'print', nil)

-- Lock everything: library tables become read-only views, the globals
-- table refuses new names and reports unknown ones, as Redis 7 does.
local function readonly_error()
  error('Attempt to modify a readonly table', 2)
end

-- Tables Redis marks read-only. Its patched Lua refuses `setmetatable` on
-- them too ("Attempt to modify a readonly table"); here the host's
-- `setmetatable` checks this list.
local builtin_setmetatable = setmetatable
local readonly_tables = builtin_setmetatable({}, {__mode = 'k'})
host.set_readonly_tables(readonly_tables)

-- What `getmetatable` gives for the globals: Redis's metatable is itself
-- read-only, so changing it fails the same way.
local readonly_meta = builtin_setmetatable({}, {__newindex = readonly_error, __metatable = false})
readonly_tables[readonly_meta] = true

-- Redis marks library tables read-only in place; stock Lua 5.1 cannot, so
-- each becomes an empty view that reads through to it. `next` and `pairs`
-- look through a view, so iterating `cjson` still lists its functions.
local view_target = setmetatable({}, {__mode = 'k'})
local function readonly_view(t)
  local view = setmetatable({}, {__index = t, __newindex = readonly_error, __metatable = false})
  view_target[view] = t
  readonly_tables[view] = true
  return view
end

local builtin_next = next
local function next_through_views(t, k)
  return builtin_next(view_target[t] or t, k)
end
rawset(_G, 'next', next_through_views)
host.set_pairs_next(next_through_views)
rawset(_G, 'pairs', host.pairs)

local globals = _G
for _, name in pairs({'string', 'math', 'table', 'coroutine', 'redis',
                      'cjson', 'bit', 'struct', 'cmsgpack'}) do
  local lib = globals[name]
  if type(lib) == 'table' then rawset(globals, name, readonly_view(lib)) end
end

-- What user code sees as its globals: reads fall through to the real
-- globals table, writes are refused.
local user_env = setmetatable({}, {__index = globals, __newindex = readonly_error, __metatable = readonly_meta})
rawset(globals, '_G', user_env)
rawset(globals, 'setmetatable', host.setmetatable)

local function nonexistent(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end

-- FUNCTION libraries share one environment. While a library loads it sees
-- only `redis.register_function`, `redis.log` and the version; once loaded,
-- its functions see everything EVAL scripts see.
local load_redis = {
  register_function = host.register_function,
  log = redis.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = redis.REDIS_VERSION, REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
}
setmetatable(load_redis, {__index = nonexistent, __newindex = readonly_error, __metatable = false})
local load_api = setmetatable({redis = load_redis},
  {__index = nonexistent, __newindex = readonly_error, __metatable = false})
local function_meta = {__index = globals, __newindex = readonly_error, __metatable = readonly_meta}
local function_env = setmetatable({}, function_meta)
local function set_loading(on)
  function_meta.__index = on and load_api or globals
end

setmetatable(globals, {
  __index = nonexistent,
  __newindex = readonly_error,
  __metatable = false,
})
for _, t in ipairs({globals, user_env, function_env, load_api, load_redis}) do
  readonly_tables[t] = true
end

return user_env, function_env, set_loading
