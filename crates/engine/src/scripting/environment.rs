//! One Lua state set up the way Redis sets up its scripting state.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use lockstep_lua::mlua::{self, Function, Lua, MultiValue, Table, Value};
use lockstep_lua::{Budget, Limits, LuaVm, RunError};

use super::active::ActiveScript;
use super::command_args::{AclCheck, CommandArgs};
use super::convert::{ScriptResp, ALREADY_COUNTED_FIELD};
use super::lrand48::{Lrand48, LRAND48_MAX};
use super::{sha1_hex, ScriptLogLine};

/// The chunk name of Lockstep's own Lua code; error positions skip it.
pub(crate) const HOST_CHUNK: &str = "=lockstep";

const PRELUDE: &str = include_str!("prelude.lua");

/// Calls a function under `xpcall` with the error handler below, so that a
/// failure comes back as Redis's `{err=..., source=..., line=...}` table.
/// The second function binds a FUNCTION callback to its keys and arguments.
const RUNNER: &str = "local handler = ...\n\
    return function(f) return xpcall(f, handler) end,\n\
    function(f, keys, args) return function() return f(keys, args) end end";

/// A Lua state with Redis's script environment and the scripts compiled in it.
pub struct ScriptVm {
    pub(crate) vm: LuaVm,
    /// The protocol the running script speaks (`redis.setresp`).
    pub(crate) resp: Rc<Cell<ScriptResp>>,
    /// Where the running script's commands are lent (see `active.rs`).
    pub(crate) active: Rc<ActiveScript>,
    /// The real globals table, where KEYS and ARGV are set.
    pub(crate) globals: Table,
    /// The read-only view user code gets as its environment.
    user_env: Table,
    /// The environment shared by FUNCTION libraries, and the switch between
    /// its load-time view and its run-time view.
    pub(crate) function_env: Table,
    pub(crate) set_loading: Function,
    /// Functions registered by the library being loaded; `None` outside
    /// FUNCTION LOAD.
    pub(crate) registrations: Rc<RefCell<Option<Vec<Registration>>>>,
    /// Callbacks of loaded functions, by lower-cased function name.
    pub(crate) functions: BTreeMap<String, Function>,
    pub(crate) runner: Function,
    pub(crate) binder: Function,
    /// sha -> compiled script body.
    compiled: BTreeMap<String, Function>,
}

impl ScriptVm {
    pub fn new(
        random: Rc<RefCell<Lrand48>>,
        log: Rc<RefCell<Vec<ScriptLogLine>>>,
    ) -> mlua::Result<ScriptVm> {
        let vm = LuaVm::new(Limits::default())?;
        vm.set_call_costs(crate::cost::C_FUNCTION_NS, crate::cost::C_CALL_NS)?;
        let lua = vm.lua();
        // cjson, struct, cmsgpack and bit, as Redis loads them.
        lockstep_lua::libs::install(lua)?;
        let resp = Rc::new(Cell::new(ScriptResp::Two));
        let active = Rc::new(ActiveScript::default());
        let registrations = Rc::new(RefCell::new(None));
        let host = host_functions(lua, random, log, Rc::clone(&resp), Rc::clone(&active))?;
        host.raw_set(
            "register_function",
            register_function(lua, Rc::clone(&registrations))?,
        )?;
        let (user_env, function_env, set_loading): (Table, Table, Function) =
            lua.load(PRELUDE).set_name(HOST_CHUNK).call(host)?;
        let (runner, binder): (Function, Function) = lua
            .load(RUNNER)
            .set_name(HOST_CHUNK)
            .call(lua.create_function(error_handler)?)?;
        Ok(ScriptVm {
            globals: lua.globals(),
            vm,
            resp,
            active,
            user_env,
            function_env,
            set_loading,
            registrations,
            functions: BTreeMap::new(),
            runner,
            binder,
            compiled: BTreeMap::new(),
        })
    }

    pub fn lua(&self) -> &Lua {
        self.vm.lua()
    }

    /// The compiled function for `sha`, compiling `body` if needed. On a
    /// syntax error, Lua's message (`user_script:1: unexpected symbol ...`).
    pub fn compile(&mut self, sha: &str, body: &[u8]) -> Result<Function, String> {
        if let Some(f) = self.compiled.get(sha) {
            return Ok(f.clone());
        }
        // Redis always runs the text parser, so a binary chunk is a syntax
        // error; a leading space does that without moving line numbers.
        let mut text = Vec::with_capacity(body.len() + 1);
        text.push(b' ');
        text.extend_from_slice(body);
        let function = self
            .vm
            .lua()
            .load(text)
            .set_name("@user_script")
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => message,
                other => other.to_string(),
            })?;
        function
            .set_environment(self.user_env.clone())
            .map_err(|e| e.to_string())?;
        self.compiled.insert(sha.to_string(), function.clone());
        Ok(function)
    }

    /// Runs a FUNCTION library's code (after its `#!lua` line) with the
    /// load-time environment and returns the functions it registered, or
    /// Redis's error text without its `ERR ` code.
    pub(crate) fn load_library(
        &mut self,
        code: &[u8],
        budget: Budget,
    ) -> Result<Vec<Registration>, String> {
        let chunk = self
            .vm
            .lua()
            .load(code)
            .set_name("@user_function")
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => {
                    format!("Error compiling function: {message}")
                }
                other => format!("Error compiling function: {other}"),
            })?;
        chunk
            .set_environment(self.function_env.clone())
            .map_err(|e| e.to_string())?;
        *self.registrations.borrow_mut() = Some(Vec::new());
        let _ = self.set_loading.call::<()>(true);
        let runner = self.runner.clone();
        let outcome = self.vm.run(budget, |_| runner.call::<MultiValue>(chunk));
        let _ = self.set_loading.call::<()>(false);
        let registered = self.registrations.borrow_mut().take().unwrap_or_default();
        let outcome = match outcome {
            Ok(values) => values,
            Err(RunError::Stopped(_)) => {
                return Err("Error registering functions: ERR FUNCTION LOAD timeout".into())
            }
            Err(e) => return Err(format!("Error registering functions: {e}")),
        };
        if matches!(outcome.front(), Some(Value::Boolean(true))) {
            return Ok(registered);
        }
        let message = match outcome.get(1) {
            Some(Value::Table(t)) => t
                .raw_get::<Value>("err")
                .ok()
                .and_then(|v| string_of(&v))
                .unwrap_or_else(|| "ERR unknown error".into()),
            Some(other) => string_of(other).unwrap_or_default(),
            None => String::new(),
        };
        Err(format!("Error registering functions: {message}"))
    }

    /// Whether `sha` is compiled in this state.
    pub fn is_compiled(&self, sha: &str) -> bool {
        self.compiled.contains_key(sha)
    }
}

/// A function a library registered with `redis.register_function`.
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    pub name: String,
    pub description: Option<String>,
    pub flags: u8,
    pub callback: Function,
}

/// Script flags in Redis's order (`scripts_flags_def`): the bit for
/// `SCRIPT_FLAGS[i]` is `1 << i`.
pub const SCRIPT_FLAGS: [&str; 5] = [
    "no-writes",
    "allow-oom",
    "allow-stale",
    "no-cluster",
    "allow-cross-slot-keys",
];

/// `redis.register_function(name, callback)` or with a table of named
/// arguments, with Redis's errors.
fn register_function(
    lua: &Lua,
    registrations: Rc<RefCell<Option<Vec<Registration>>>>,
) -> mlua::Result<Function> {
    lua.create_function(move |_, args: MultiValue| {
        if registrations.borrow().is_none() {
            return Err(raise(
                "ERR redis.register_function can only be called on FUNCTION LOAD command",
            ));
        }
        let registration = match args.len() {
            1 => named_registration(&args[0]),
            2 => positional_registration(&args[0], &args[1]),
            _ => Err("wrong number of arguments to redis.register_function".to_string()),
        }
        .map_err(|e| raise(format!("ERR {e}")))?;
        let mut pending = registrations.borrow_mut();
        let list = pending.get_or_insert_with(Vec::new);
        if !valid_name(&registration.name) {
            return Err(raise("ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"));
        }
        if list.iter().any(|r| r.name == registration.name) {
            return Err(raise("ERR Function already exists in the library"));
        }
        list.push(registration);
        Ok(())
    })
}

/// Letters, digits and underscores, at least one (`functionsVerifyName`).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn string_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_string_lossy()),
        Value::Integer(i) => Some(i.to_string()),
        Value::Number(n) => Some(lockstep_lua::cnum::lua_number_text(*n)),
        _ => None,
    }
}

fn positional_registration(name: &Value, callback: &Value) -> Result<Registration, String> {
    let name =
        string_of(name).ok_or("first argument to redis.register_function must be a string")?;
    let Value::Function(callback) = callback else {
        return Err("second argument to redis.register_function must be a function".into());
    };
    Ok(Registration {
        name,
        description: None,
        flags: 0,
        callback: callback.clone(),
    })
}

fn named_registration(table: &Value) -> Result<Registration, String> {
    let Value::Table(table) = table else {
        return Err("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).".into());
    };
    let (mut name, mut description, mut flags, mut callback) = (None, None, 0u8, None);
    for pair in table.pairs::<Value, Value>() {
        let (key, value) = pair.map_err(|e| e.to_string())?;
        let Some(key) = string_of(&key) else {
            return Err(
                "named argument key given to redis.register_function is not a string".into(),
            );
        };
        match key.to_ascii_lowercase().as_str() {
            "function_name" => {
                name = Some(string_of(&value).ok_or(
                    "function_name argument given to redis.register_function must be a string",
                )?)
            }
            "description" => {
                description = Some(string_of(&value).ok_or(
                    "description argument given to redis.register_function must be a string",
                )?)
            }
            "callback" => match value {
                Value::Function(f) => callback = Some(f),
                _ => {
                    return Err(
                        "callback argument given to redis.register_function must be a function"
                            .into(),
                    )
                }
            },
            "flags" => {
                let Value::Table(list) = value else {
                    return Err("flags argument to redis.register_function must be a table representing function flags".into());
                };
                for flag in list.sequence_values::<Value>() {
                    let flag = flag
                        .ok()
                        .as_ref()
                        .and_then(string_of)
                        .ok_or("unknown flag given")?;
                    let bit = SCRIPT_FLAGS
                        .iter()
                        .position(|f| f.eq_ignore_ascii_case(&flag))
                        .ok_or("unknown flag given")?;
                    flags |= 1 << bit;
                }
            }
            _ => return Err("unknown argument given to redis.register_function".into()),
        }
    }
    let name = name.ok_or("redis.register_function must get a function name argument")?;
    let callback = callback.ok_or("redis.register_function must get a callback argument")?;
    Ok(Registration {
        name,
        description,
        flags,
        callback,
    })
}

/// An error raised the way Redis's C functions raise theirs: as the error
/// table `{err = text}`. Host functions are C functions to Lua, so a
/// `return redis.call(...)` tail call keeps the script's frame, and the
/// error handler can still name the line.
#[derive(Debug)]
pub(crate) struct RaisedReply {
    pub text: String,
    /// A command's error, already counted in INFO errorstats (the table
    /// gets `ignore_error_stats_update`, as Redis's does).
    pub counted: bool,
}

impl fmt::Display for RaisedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for RaisedReply {}

/// `luaPushError` + `luaError`: raise `{err = "ERR text"}`.
fn raise(text: impl Into<String>) -> mlua::Error {
    mlua::Error::external(RaisedReply {
        text: text.into(),
        counted: false,
    })
}

/// What a raised value means to a script: an error table, or a message.
fn error_value(lua: &Lua, raised: Value) -> mlua::Result<Value> {
    let Value::Error(error) = raised else {
        return Ok(raised);
    };
    if let Some(RaisedReply { text, counted }) = error.downcast_ref::<RaisedReply>() {
        let t = lua.create_table()?;
        t.raw_set("err", lua.create_string(text)?)?;
        if *counted {
            t.raw_set(ALREADY_COUNTED_FIELD, true)?;
        }
        return Ok(Value::Table(t));
    }
    let mut root: &mlua::Error = &error;
    while let mlua::Error::CallbackError { cause, .. } = root {
        root = cause;
    }
    let text = match root {
        mlua::Error::RuntimeError(message) => message.clone(),
        other => other.to_string(),
    };
    Ok(Value::String(lua.create_string(text)?))
}

/// `file:line: ` of the Lua code that called the running host function, as
/// `luaL_where(L, 1)` prefixes C library errors.
fn caller_position(lua: &Lua) -> String {
    lua.inspect_stack(1, |debug| {
        let short = debug.source().short_src.map(|s| s.into_owned());
        match (short, debug.current_line()) {
            (Some(src), Some(line)) => format!("{src}:{line}: "),
            _ => String::new(),
        }
    })
    .unwrap_or_default()
}

/// The name Lua's `type()` gives a value (mlua tells integers apart).
fn lua_type_name(value: &Value) -> &'static str {
    match value {
        Value::Integer(_) | Value::Number(_) => "number",
        Value::Error(_) => "userdata",
        other => other.type_name(),
    }
}

/// `luaL_checkint` for the random functions, with its error text.
fn check_int(lua: &Lua, args: &MultiValue, n: usize, fname: &str) -> mlua::Result<i64> {
    let value = args.get(n - 1).cloned().unwrap_or(Value::Nil);
    let number = match &value {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(x) => Some(*x),
        Value::String(s) => s.to_str().ok().and_then(|s| s.trim().parse::<f64>().ok()),
        _ => None,
    };
    match number {
        Some(x) => Ok(x.trunc() as i64),
        None => {
            let got = if args.len() < n {
                "no value"
            } else {
                value.type_name()
            };
            Err(mlua::Error::runtime(format!(
                "{}bad argument #{n} to '{fname}' (number expected, got {got})",
                caller_position(lua)
            )))
        }
    }
}

/// The Rust side of the prelude's `host` table, and the `redis` functions
/// that can raise errors.
fn host_functions(
    lua: &Lua,
    random: Rc<RefCell<Lrand48>>,
    log: Rc<RefCell<Vec<ScriptLogLine>>>,
    resp: Rc<Cell<ScriptResp>>,
    active: Rc<ActiveScript>,
) -> mlua::Result<Table> {
    let host = lua.create_table()?;
    let redis = lua.create_table()?;
    host.raw_set("redis", redis.clone())?;
    host.raw_set("error_value", lua.create_function(error_value)?)?;

    let (script, protocol) = (Rc::clone(&active), Rc::clone(&resp));
    redis.raw_set(
        "call",
        lua.create_function(move |lua, args: CommandArgs| {
            let (reply, failed) = dispatch(lua, &script, protocol.get(), args)?;
            match (failed, &reply) {
                (true, Value::Table(t)) => {
                    let text = t.raw_get::<mlua::LuaString>("err")?.to_string_lossy();
                    let counted = t.raw_get::<bool>(ALREADY_COUNTED_FIELD).unwrap_or(false);
                    Err(mlua::Error::external(RaisedReply { text, counted }))
                }
                _ => Ok(reply),
            }
        })?,
    )?;
    let (script, protocol) = (Rc::clone(&active), Rc::clone(&resp));
    redis.raw_set(
        "pcall",
        lua.create_function(move |lua, args: CommandArgs| {
            Ok(dispatch(lua, &script, protocol.get(), args)?.0)
        })?,
    )?;
    let script = Rc::clone(&active);
    redis.raw_set(
        "acl_check_cmd",
        lua.create_function(move |lua, AclCheck(CommandArgs(argv))| {
            let (reply, failed) = script
                .with(|commands| commands.acl_check(lua, argv))
                .ok_or_else(|| not_in_script("redis.acl_check_cmd"))??;
            match (failed, &reply) {
                (true, Value::Table(t)) => Err(raise(
                    t.raw_get::<mlua::LuaString>("err")?.to_string_lossy(),
                )),
                _ => Ok(reply),
            }
        })?,
    )?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: MultiValue| {
            if args.len() != 1 {
                return Err(raise("ERR wrong number of arguments"));
            }
            let bytes = match lua.coerce_string(args[0].clone())? {
                Some(s) => s.as_bytes().to_vec(),
                None => Vec::new(),
            };
            Ok(sha1_hex(&bytes))
        })?,
    )?;
    redis.raw_set(
        "log",
        lua.create_function(move |lua, args: MultiValue| {
            if args.len() < 2 {
                return Err(raise("ERR redis.log() requires two arguments or more."));
            }
            let level = match args[0] {
                Value::Integer(i) => i as f64,
                Value::Number(n) => n,
                _ => return Err(raise("ERR First argument must be a number (log level).")),
            };
            if !(0.0..=3.0).contains(&level) {
                return Err(raise("ERR Invalid debug level."));
            }
            let mut parts = Vec::new();
            for v in args.iter().skip(1) {
                if let Some(s) = lua.coerce_string(v.clone())? {
                    parts.push(s.to_string_lossy());
                }
            }
            log.borrow_mut().push(ScriptLogLine {
                level: level as u8,
                text: parts.join(" "),
            });
            Ok(())
        })?,
    )?;
    let script = Rc::clone(&active);
    redis.raw_set(
        "setresp",
        lua.create_function(move |_, args: MultiValue| {
            require_running_script(&script, "redis.setresp")?;
            if args.len() != 1 {
                return Err(raise("ERR redis.setresp() requires one argument."));
            }
            match args[0] {
                Value::Integer(2) => resp.set(ScriptResp::Two),
                Value::Number(2.0) => resp.set(ScriptResp::Two),
                Value::Integer(3) => resp.set(ScriptResp::Three),
                Value::Number(3.0) => resp.set(ScriptResp::Three),
                _ => return Err(raise("ERR RESP version must be 2 or 3.")),
            }
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "set_repl",
        lua.create_function(move |lua, args: MultiValue| {
            require_running_script(&active, "redis.set_repl")?;
            if args.len() != 1 {
                return Err(raise("ERR redis.set_repl() requires two arguments."));
            }
            let flags = match lua.coerce_number(args[0].clone())? {
                Some(n) => n as i64,
                None => 0,
            };
            if flags & !3 != 0 {
                return Err(raise(
                    "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ));
            }
            Ok(())
        })?,
    )?;

    // `pairs` is a host function so that `return pairs(x)` keeps the
    // caller's frame for error positions, as the C original does; it hands
    // out the prelude's `next`, which sees through read-only library views.
    let pairs_next: Rc<RefCell<Option<Function>>> = Rc::new(RefCell::new(None));
    let setter = Rc::clone(&pairs_next);
    host.raw_set(
        "set_pairs_next",
        lua.create_function(move |_, next: Function| {
            *setter.borrow_mut() = Some(next);
            Ok(())
        })?,
    )?;
    host.raw_set(
        "pairs",
        lua.create_function(move |lua, args: MultiValue| {
            let table = match args.front() {
                Some(Value::Table(t)) => t.clone(),
                other => {
                    let got = other.map_or("no value", lua_type_name);
                    return Err(mlua::Error::runtime(format!(
                        "{}bad argument #1 to 'pairs' (table expected, got {got})",
                        caller_position(lua)
                    )));
                }
            };
            let next = pairs_next.borrow().clone();
            Ok((next, table, Value::Nil))
        })?,
    )?;

    // `setmetatable` with Redis's read-only tables: a host function, like
    // `pairs`, so that `return setmetatable(...)` keeps the caller's frame
    // for error positions.
    let readonly: Rc<RefCell<Option<Table>>> = Rc::new(RefCell::new(None));
    let setter = Rc::clone(&readonly);
    host.raw_set(
        "set_readonly_tables",
        lua.create_function(move |_, tables: Table| {
            *setter.borrow_mut() = Some(tables);
            Ok(())
        })?,
    )?;
    host.raw_set(
        "setmetatable",
        lua.create_function(move |lua, args: MultiValue| {
            let bad = |text: &str| mlua::Error::runtime(format!("{}{text}", caller_position(lua)));
            let table = match args.front() {
                Some(Value::Table(t)) => t.clone(),
                other => {
                    let got = other.map_or("no value", lua_type_name);
                    return Err(bad(&format!(
                        "bad argument #1 to 'setmetatable' (table expected, got {got})"
                    )));
                }
            };
            let metatable = match args.get(1) {
                Some(Value::Nil) => None,
                Some(Value::Table(t)) => Some(t.clone()),
                _ => {
                    return Err(bad(
                        "bad argument #2 to 'setmetatable' (nil or table expected)",
                    ))
                }
            };
            // Redis's read-only tables have no protected metatable: the
            // read-only check is what refuses them.
            let is_readonly = readonly.borrow().as_ref().is_some_and(|t| {
                matches!(t.raw_get::<Value>(table.clone()), Ok(Value::Boolean(true)))
            });
            if is_readonly {
                return Err(mlua::Error::runtime("Attempt to modify a readonly table"));
            }
            let protected = table
                .metatable()
                .is_some_and(|m| !matches!(m.raw_get::<Value>("__metatable"), Ok(Value::Nil)));
            if protected {
                return Err(bad("cannot change a protected metatable"));
            }
            table.set_metatable(metatable)?;
            Ok(table)
        })?,
    )?;

    let draw = Rc::clone(&random);
    host.raw_set(
        "random",
        lua.create_function(move |lua, args: MultiValue| {
            // As in C, the draw happens before the arguments are checked.
            let r =
                f64::from(draw.borrow_mut().next_value() % LRAND48_MAX) / f64::from(LRAND48_MAX);
            let interval_empty = |n: usize| {
                mlua::Error::runtime(format!(
                    "{}bad argument #{n} to 'random' (interval is empty)",
                    caller_position(lua)
                ))
            };
            match args.len() {
                0 => Ok(r),
                1 => {
                    let u = check_int(lua, &args, 1, "random")?;
                    if u < 1 {
                        return Err(interval_empty(1));
                    }
                    Ok((r * u as f64).floor() + 1.0)
                }
                2 => {
                    let l = check_int(lua, &args, 1, "random")?;
                    let u = check_int(lua, &args, 2, "random")?;
                    if l > u {
                        return Err(interval_empty(2));
                    }
                    Ok((r * (u - l + 1) as f64).floor() + l as f64)
                }
                _ => Err(mlua::Error::runtime(format!(
                    "{}wrong number of arguments",
                    caller_position(lua)
                ))),
            }
        })?,
    )?;
    host.raw_set(
        "randomseed",
        lua.create_function(move |lua, args: MultiValue| {
            let seed = check_int(lua, &args, 1, "randomseed")?;
            random.borrow_mut().seed(seed as i32);
            Ok(())
        })?,
    )?;
    Ok(host)
}

fn require_running_script(active: &ActiveScript, name: &str) -> mlua::Result<()> {
    if active.is_running() {
        Ok(())
    } else {
        Err(not_in_script(name))
    }
}

fn not_in_script(name: &str) -> mlua::Error {
    raise(format!(
        "ERR {name} can only be called inside a script invocation"
    ))
}

/// Runs a command through the running script's dispatcher: the reply as
/// Lua sees it, and whether it is an error.
fn dispatch(
    lua: &Lua,
    active: &ActiveScript,
    resp: ScriptResp,
    CommandArgs(argv): CommandArgs,
) -> mlua::Result<(Value, bool)> {
    active
        .with(|commands| commands.call(lua, resp, argv))
        .ok_or_else(|| not_in_script("redis.call/pcall"))?
}

/// Redis's `__redis__err__handler`: turns what was raised into an error
/// table and notes where in the user's code it happened (skipping C
/// functions and Lockstep's own wrappers).
fn error_handler(lua: &Lua, raised: Value) -> mlua::Result<Table> {
    let table = match error_value(lua, raised)? {
        Value::Table(t) => t,
        other => {
            let tostring: Function = lua.globals().raw_get("tostring")?;
            let text: mlua::LuaString = tostring.call(other)?;
            let t = lua.create_table()?;
            let mut message = b"ERR ".to_vec();
            message.extend_from_slice(&text.as_bytes());
            t.raw_set("err", lua.create_string(message)?)?;
            t
        }
    };
    for level in 1..200 {
        let frame = lua.inspect_stack(level, |debug| {
            let source = debug.source();
            (
                source.what,
                source.source.map(|s| s.into_owned()),
                debug.current_line(),
            )
        });
        let Some((what, source, line)) = frame else {
            break;
        };
        if what == "C" || source.as_deref() == Some(HOST_CHUNK) {
            continue;
        }
        if let Some(source) = source {
            table.raw_set("source", source)?;
        }
        if let Some(line) = line {
            table.raw_set("line", line as f64)?;
        }
        break;
    }
    Ok(table)
}
