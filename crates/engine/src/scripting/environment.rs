//! One Lua state set up the way Redis sets up its scripting state.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use lockstep_lua::mlua::{self, Function, Lua, MultiValue, Table, Value};
use lockstep_lua::{Limits, LuaVm};

use super::convert::ScriptResp;
use super::lrand48::{Lrand48, LRAND48_MAX};
use super::{sha1_hex, ScriptLogLine};
use crate::commands;

/// The chunk name of Lockstep's own Lua code; error positions skip it.
pub(crate) const HOST_CHUNK: &str = "=lockstep";

const PRELUDE: &str = include_str!("prelude.lua");

/// Calls a function under `xpcall` with the error handler below, so that a
/// failure comes back as Redis's `{err=..., source=..., line=...}` table.
const RUNNER: &str = "local handler = ...\nreturn function(f) return xpcall(f, handler) end";

/// A Lua state with Redis's script environment and the scripts compiled in it.
pub struct ScriptVm {
    pub(crate) vm: LuaVm,
    /// The protocol the running script speaks (`redis.setresp`).
    pub(crate) resp: Rc<Cell<ScriptResp>>,
    /// The real globals table, where KEYS and ARGV are set.
    pub(crate) globals: Table,
    /// The read-only view user code gets as its environment.
    user_env: Table,
    pub(crate) runner: Function,
    /// sha -> compiled script body.
    compiled: BTreeMap<String, Function>,
}

impl ScriptVm {
    pub fn new(
        random: Rc<RefCell<Lrand48>>,
        log: Rc<RefCell<Vec<ScriptLogLine>>>,
    ) -> mlua::Result<ScriptVm> {
        let vm = LuaVm::new(Limits::default())?;
        let lua = vm.lua();
        let resp = Rc::new(Cell::new(ScriptResp::Two));
        let host = host_functions(lua, random, log, Rc::clone(&resp))?;
        let user_env: Table = lua.load(PRELUDE).set_name(HOST_CHUNK).call(host)?;
        let runner: Function = lua
            .load(RUNNER)
            .set_name(HOST_CHUNK)
            .call(lua.create_function(error_handler)?)?;
        Ok(ScriptVm {
            globals: lua.globals(),
            vm,
            resp,
            user_env,
            runner,
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

    /// Whether `sha` is compiled in this state.
    pub fn is_compiled(&self, sha: &str) -> bool {
        self.compiled.contains_key(sha)
    }
}

/// The registry key of the current script's command dispatcher, a function
/// that lives only while a script runs (see `run.rs`).
pub(crate) const DISPATCH_KEY: &str = "lockstep.dispatch";

/// An error raised the way Redis's C functions raise theirs: as the error
/// table `{err = text}`. Host functions are C functions to Lua, so a
/// `return redis.call(...)` tail call keeps the script's frame, and the
/// error handler can still name the line.
#[derive(Debug)]
pub(crate) struct RaisedReply(pub String);

impl fmt::Display for RaisedReply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RaisedReply {}

/// `luaPushError` + `luaError`: raise `{err = "ERR text"}`.
fn raise(text: impl Into<String>) -> mlua::Error {
    mlua::Error::external(RaisedReply(text.into()))
}

/// What a raised value means to a script: an error table, or a message.
fn error_value(lua: &Lua, raised: Value) -> mlua::Result<Value> {
    let Value::Error(error) = raised else {
        return Ok(raised);
    };
    if let Some(RaisedReply(text)) = error.downcast_ref::<RaisedReply>() {
        let t = lua.create_table()?;
        t.raw_set("err", lua.create_string(text)?)?;
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
) -> mlua::Result<Table> {
    let host = lua.create_table()?;
    let redis = lua.create_table()?;
    host.raw_set("redis", redis.clone())?;
    host.raw_set("error_value", lua.create_function(error_value)?)?;

    redis.raw_set(
        "call",
        lua.create_function(|lua, args: MultiValue| {
            let (reply, failed) = dispatch(lua, "redis.call/pcall", args)?;
            match (failed, &reply) {
                (true, Value::Table(t)) => Err(raise(
                    t.raw_get::<mlua::LuaString>("err")?.to_string_lossy(),
                )),
                _ => Ok(reply),
            }
        })?,
    )?;
    redis.raw_set(
        "pcall",
        lua.create_function(
            |lua, args: MultiValue| Ok(dispatch(lua, "redis.call/pcall", args)?.0),
        )?,
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
    redis.raw_set(
        "setresp",
        lua.create_function(move |lua, args: MultiValue| {
            require_running_script(lua, "redis.setresp")?;
            if args.len() != 1 {
                return Err(raise("ERR redis.setresp() requires one argument."));
            }
            match args[0] {
                Value::Integer(2) => resp.set(ScriptResp::Two),
                Value::Number(n) if n == 2.0 => resp.set(ScriptResp::Two),
                Value::Integer(3) => resp.set(ScriptResp::Three),
                Value::Number(n) if n == 3.0 => resp.set(ScriptResp::Three),
                _ => return Err(raise("ERR RESP version must be 2 or 3.")),
            }
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "set_repl",
        lua.create_function(|lua, args: MultiValue| {
            require_running_script(lua, "redis.set_repl")?;
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
    redis.raw_set(
        "acl_check_cmd",
        lua.create_function(|lua, args: MultiValue| {
            require_running_script(lua, "redis.acl_check_cmd")?;
            let known = match args.front() {
                Some(Value::String(s)) => commands::lookup(&s.as_bytes()).is_some(),
                _ => false,
            };
            if known {
                Ok(true)
            } else {
                Err(raise("ERR Invalid command passed to redis.acl_check_cmd()"))
            }
        })?,
    )?;

    let draw = Rc::clone(&random);
    host.raw_set(
        "random",
        lua.create_function(move |lua, args: MultiValue| {
            // As in C, the draw happens before the arguments are checked.
            let r = f64::from(draw.borrow_mut().next() % LRAND48_MAX) / f64::from(LRAND48_MAX);
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

fn require_running_script(lua: &Lua, name: &str) -> mlua::Result<()> {
    match lua.named_registry_value::<Value>(DISPATCH_KEY)? {
        Value::Function(_) => Ok(()),
        _ => Err(raise(format!(
            "ERR {name} can only be called inside a script invocation"
        ))),
    }
}

/// Runs a command through the current script's dispatcher: the reply as Lua
/// sees it, and whether it is an error.
fn dispatch(lua: &Lua, name: &str, args: MultiValue) -> mlua::Result<(Value, bool)> {
    require_running_script(lua, name)?;
    let dispatcher: Function = lua.named_registry_value(DISPATCH_KEY)?;
    dispatcher.call(args)
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
