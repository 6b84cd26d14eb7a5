//! Running one script: KEYS/ARGV, `redis.call` dispatch into the engine,
//! script time, kills, and the reply or error the caller gets.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use lockstep_lua::mlua::{self, ffi, Function, Lua, MultiValue, Table, Value};
use lockstep_lua::{Budget, RunError, StopReason, Verdict};

use super::active::{Argv, ScriptCommands};
use super::convert::{
    command_error_table, error_table, is_counted_error, lua_to_reply, reply_to_lua, ScriptResp,
};
use super::environment::ScriptVm;
use super::watcher::{RunningScript, ScriptProgress, ScriptWatcher};
use crate::cost::{self, ScriptSpeed};
use lockstep_lua::CallCounter;

/// The Lua heap cap of `lockstep_lua::Limits::default()`, for messages.
const LUA_MEMORY_MIB: usize = 64;
use crate::client::{ClientId, ClientState, Protocol};
use crate::command::{flags, Caller, CommandSpec, Ctx};
use crate::commands;
use crate::engine::call;
use crate::reply::Reply;
use crate::server::acl::Denied;
use lockstep_lua::cnum::lua_number_text;

/// The connection id of the client scripts run their commands as (Redis's
/// "lua client"). Connections are numbered from 1, so it never collides.
pub const SCRIPT_CLIENT_ID: ClientId = 0;

/// EVAL scripts get KEYS and ARGV as globals; FUNCTION callbacks get them
/// as their two arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunMode {
    Eval,
    Function,
}

/// What to run and how.
pub struct ScriptRun<'a> {
    pub function: Function,
    pub mode: RunMode,
    /// How errors name the script: its sha for EVAL, its name for FCALL.
    pub name: &'a str,
    /// The command that runs it, as its client sent it (FUNCTION STATS).
    pub command: &'a [Vec<u8>],
    pub keys: &'a [Vec<u8>],
    pub argv: &'a [Vec<u8>],
    /// `EVAL_RO`, `EVALSHA_RO` or a `no-writes` script: write commands fail.
    pub read_only: bool,
    /// Declared `allow-oom`: commands that grow memory run even while the
    /// node is over `maxmemory`.
    pub allow_oom: bool,
}

/// State shared between the command dispatcher and the instruction hook.
struct Progress {
    /// Lua instructions run so far, as of the last watchdog check.
    instructions: Cell<u64>,
    /// The C function calls of the run (their cost so far).
    calls: CallCounter,
    speed: ScriptSpeed,
    wrote: Cell<bool>,
    commands_ns: Cell<u64>,
    killed_at_line: Cell<Option<usize>>,
}

impl Progress {
    fn new(calls: CallCounter, speed: ScriptSpeed) -> Progress {
        Progress {
            instructions: Cell::new(0),
            calls,
            speed,
            wrote: Cell::new(false),
            commands_ns: Cell::new(0),
            killed_at_line: Cell::new(None),
        }
    }

    /// The script's own time so far, in nanoseconds: its Lua work at the
    /// node's script speed, and the commands it called.
    fn elapsed_ns(&self, instructions: u64) -> u64 {
        let (_, c_call_ns) = self.calls.c_calls();
        cost::lua_ns(instructions, c_call_ns, self.speed) + self.commands_ns.get()
    }
}

fn elapsed_us(instructions: u64, progress: &Progress) -> u64 {
    cost::whole_micros(progress.elapsed_ns(instructions))
}

/// Runs a compiled script for the client in `ctx` and returns its reply.
/// The node's instruction cap (if any) and its host's watcher apply.
pub fn run_script(ctx: &mut Ctx, svm: &mut ScriptVm, run: ScriptRun) -> Reply {
    let budget = match ctx.server.scripting.instruction_limit {
        Some(max) => Budget::instructions(max),
        None => Budget::UNLIMITED,
    };
    let watcher = ctx.server.scripting.watcher.clone();
    let progress = Rc::new(Progress::new(
        svm.vm.call_counter(),
        ctx.server.scripting.speed,
    ));
    let function = match prepare(svm, &run) {
        Ok(f) => f,
        Err(e) => return Reply::error(format!("ERR Error running script {}, {e}", run.name)),
    };
    let busy_threshold_us = ctx.server.config.busy_reply_threshold_ms().max(0) as u64 * 1000;
    install_checkpoint(svm, &progress, watcher.clone(), busy_threshold_us, run.mode);

    let mut lua_client = ClientState::new(SCRIPT_CLIENT_ID, ctx.now_ms);
    lua_client.addr = "lua".into();
    ctx.clients.insert(SCRIPT_CLIENT_ID, lua_client);

    svm.resp.set(ScriptResp::Two);
    let resp_cell = Rc::clone(&svm.resp);
    let active = Rc::clone(&svm.active);
    let runner = svm.runner.clone();
    let started_us = ctx.now_ms.saturating_mul(1000);
    let mut dispatcher = Dispatcher {
        ctx: &mut *ctx,
        read_only: run.read_only,
        allow_oom: run.allow_oom,
        progress: Rc::clone(&progress),
        started_us,
    };
    if let Some(watcher) = &watcher {
        let libraries = &dispatcher.ctx.server.scripting.libraries.libraries;
        let running = RunningScript {
            mode: run.mode,
            name: run.name.to_string(),
            command: run.command.to_vec(),
            libraries: libraries.len(),
            functions: libraries.values().map(|l| l.functions.len()).sum(),
        };
        let mut watcher = watcher.borrow_mut();
        watcher.started();
        watcher.running(&running);
    }
    // Set when the script's result is a command's error it passes on.
    let counted_error = Cell::new(false);
    let result = active.lend(&mut dispatcher, || {
        svm.vm.run(budget, |lua| {
            let outcome: MultiValue = runner.call(function)?;
            counted_error.set(is_counted_error(outcome.get(1)));
            script_outcome_to_reply(lua, &outcome, resp_cell.get(), run.name)
        })
    });
    svm.vm.clear_checkpoint();
    ctx.server.scripting.clock_us = None;
    ctx.clients.remove(&SCRIPT_CLIENT_ID);
    ctx.cost_ns += progress.elapsed_ns(svm.vm.instructions()) - progress.commands_ns.get();
    if let Some(watcher) = &watcher {
        watcher.borrow_mut().finished(ScriptProgress {
            elapsed_us: elapsed_us(svm.vm.instructions(), &progress),
            wrote: progress.wrote.get(),
            busy_threshold_us,
            mode: run.mode,
        });
    }

    match result {
        Ok(reply) => {
            if reply.is_error() && counted_error.get() {
                ctx.server.stats.error_reply_already_counted = true;
            }
            reply
        }
        Err(RunError::Stopped(StopReason::Host)) => {
            let line = progress.killed_at_line.get().unwrap_or(0);
            let source = match run.mode {
                RunMode::Eval => "@user_script",
                RunMode::Function => "@user_function",
            };
            Reply::error(format!(
                "ERR Script killed by user with SCRIPT KILL... script: {}, on {source}:{line}.",
                run.name
            ))
        }
        Err(RunError::Stopped(StopReason::BudgetExhausted)) => Reply::error(format!(
            "ERR Script stopped after {} Lua instructions: this playground limits scripts typed \
             into its console so the page stays responsive (a real Redis would keep running it, \
             answering other clients with BUSY until SCRIPT KILL). script: {}",
            budget.max_instructions.unwrap_or_default(),
            run.name
        )),
        Err(RunError::Lua(e)) => Reply::error(format!(
            "ERR Error running script {}, {}",
            run.name,
            first_line(&e.to_string())
        )),
        Err(RunError::Poisoned) => Reply::error(format!(
            "ERR Error running script {}, the Lua state failed and was rebuilt",
            run.name
        )),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// Hands the keys and arguments over; returns what the runner calls.
fn prepare(svm: &ScriptVm, run: &ScriptRun) -> mlua::Result<Function> {
    let lua = svm.lua();
    match run.mode {
        RunMode::Eval => {
            set_keys_and_argv(lua, &svm.globals, run.keys, run.argv)?;
            Ok(run.function.clone())
        }
        RunMode::Function => {
            let (keys, argv) = (string_array(lua, run.keys)?, string_array(lua, run.argv)?);
            svm.binder.call((run.function.clone(), keys, argv))
        }
    }
}

fn string_array(lua: &Lua, items: &[Vec<u8>]) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    for (i, item) in items.iter().enumerate() {
        t.raw_set(i + 1, lua.create_string(item)?)?;
    }
    Ok(t)
}

/// EVAL's `KEYS` and `ARGV`: new arrays of strings in the real globals
/// table, as Redis's `luaCreateArray` makes them for every call. Built in
/// one protected call: through mlua's API each table, string and field
/// would be a protected call of its own (the Lua heap is capped, so any
/// allocation may fail), which cost more than a short script runs.
fn set_keys_and_argv(
    lua: &Lua,
    globals: &Table,
    keys: &[Vec<u8>],
    argv: &[Vec<u8>],
) -> mlua::Result<()> {
    // SAFETY: the closure runs inside a protected call with the globals
    // table as its only stack slot, so a memory error raised by any call
    // below unwinds to that call's boundary, and the closure holds nothing
    // that needs dropping. Every index stays within the slots it checks.
    unsafe {
        lua.exec_raw::<()>(globals, |state| {
            ffi::luaL_checkstack(state, 4, std::ptr::null());
            for (name, items) in [(c"KEYS", keys), (c"ARGV", argv)] {
                ffi::lua_pushstring(state, name.as_ptr());
                ffi::lua_createtable(state, items.len().try_into().unwrap_or(0), 0);
                for (i, item) in items.iter().enumerate() {
                    ffi::lua_pushlstring(state, item.as_ptr().cast(), item.len());
                    ffi::lua_rawseti(state, -2, (i + 1) as _);
                }
                ffi::lua_rawset(state, 1);
            }
            ffi::lua_settop(state, 0);
        })
    }
}

/// Every watchdog check: note the instructions run (script time), tell the
/// host how far the script got; a kill notes the line the script was on.
fn install_checkpoint(
    svm: &ScriptVm,
    progress: &Rc<Progress>,
    watcher: Option<Rc<RefCell<dyn ScriptWatcher>>>,
    busy_threshold_us: u64,
    mode: RunMode,
) {
    let progress = Rc::clone(progress);
    let lua = svm.lua().weak();
    svm.vm.set_checkpoint(move |instructions| {
        progress.instructions.set(instructions);
        let Some(watcher) = &watcher else {
            return Verdict::Continue;
        };
        let state = ScriptProgress {
            elapsed_us: elapsed_us(instructions, &progress),
            wrote: progress.wrote.get(),
            busy_threshold_us,
            mode,
        };
        if !watcher.borrow_mut().tick(state) {
            return Verdict::Continue;
        }
        let line = lua
            .try_upgrade()
            .and_then(|lua| lua.inspect_stack(0, |d| d.current_line()).flatten());
        progress.killed_at_line.set(line);
        Verdict::Stop
    });
}

/// `(ok, value)` from the runner as the reply the caller gets.
fn script_outcome_to_reply(
    lua: &Lua,
    outcome: &MultiValue,
    resp: ScriptResp,
    name: &str,
) -> mlua::Result<Reply> {
    let ok = matches!(outcome.front(), Some(Value::Boolean(true)));
    let value = outcome.get(1).cloned().unwrap_or(Value::Nil);
    if ok {
        return lua_to_reply(lua, &value, resp);
    }
    Ok(failure_reply(value, name))
}

/// The reply for a script that raised an error (`value`).
fn failure_reply(value: Value, name: &str) -> Reply {
    let error = match value {
        Value::Table(error) => error,
        // Lua 5.1 raises memory errors without calling the message handler.
        Value::String(message) if message.as_bytes().as_ref() == b"not enough memory" => {
            return Reply::error(format!(
                "ERR Error running script {name}, not enough memory (a node's Lua heap is capped at {LUA_MEMORY_MIB} MiB here, so a runaway script cannot take the page down)"
            ));
        }
        Value::String(message) => {
            let text: String = message.to_string_lossy().chars().take(100).collect();
            return Reply::error(format!(
                "ERR Error running script {name}, {}",
                text.trim_end()
            ));
        }
        _ => {
            return Reply::error(format!(
                "ERR Error running script {name}, execution failure"
            ))
        }
    };
    let text = |field: &str| -> Option<String> {
        match error.raw_get::<Value>(field).ok()? {
            Value::String(s) => Some(s.to_string_lossy()),
            Value::Number(n) => Some(lua_number_text(n)),
            Value::Integer(i) => Some(i.to_string()),
            _ => None,
        }
    };
    // Redis 7.0 crashes on an error table without `err`; say what happened.
    let message = text("err")
        .unwrap_or_else(|| "ERR the script raised an error object without an 'err' field".into());
    let message = message.replace(['\r', '\n'], " ");
    match (text("source"), text("line")) {
        (Some(source), Some(line)) => {
            Reply::Error(format!("{message} script: {name}, on {source}:{line}."))
        }
        _ => Reply::Error(message),
    }
}

/// Runs `redis.call`/`redis.pcall` commands against the engine.
struct Dispatcher<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    read_only: bool,
    allow_oom: bool,
    progress: Rc<Progress>,
    /// When the script started, in microseconds of the caller's clock.
    started_us: i64,
}

impl ScriptCommands for Dispatcher<'_, '_> {
    /// Runs one `redis.call`. Returns the reply
    /// as Lua sees it and whether it is an error (which `redis.call` raises).
    fn call(&mut self, lua: &Lua, resp: ScriptResp, argv: Argv) -> mlua::Result<(Value, bool)> {
        let reply = match argv {
            Ok(argv) => self.run_command(&argv, resp),
            Err(message) => Reply::error(message),
        };
        let failed = reply.is_error();
        let value = match &reply {
            Reply::Error(e) => command_error_table(lua, e)?,
            other => reply_to_lua(lua, other, resp)?,
        };
        Ok((value, failed))
    }

    /// `redis.acl_check_cmd`: whether the script's caller may run `argv`
    /// (true or false), or the error it raises.
    fn acl_check(&mut self, lua: &Lua, argv: Argv) -> mlua::Result<(Value, bool)> {
        let checked = argv.and_then(|argv| {
            let spec = commands::lookup(&argv[0])
                .and_then(|spec| match argv.get(1) {
                    Some(sub) if !spec.subcommands.is_empty() => {
                        let sub = String::from_utf8_lossy(sub).to_ascii_lowercase();
                        spec.subcommands.iter().find(|s| s.name == sub)
                    }
                    _ => Some(spec),
                })
                .ok_or("ERR Invalid command passed to redis.acl_check_cmd()")?;
            Ok(self.caller_may_run(spec, &argv).is_ok())
        });
        match checked {
            Ok(allowed) => Ok((Value::Boolean(allowed), false)),
            Err(message) => Ok((error_table(lua, message)?, true)),
        }
    }
}

impl Dispatcher<'_, '_> {
    /// The script caller's ACL verdict on a command.
    fn caller_may_run(&self, spec: &CommandSpec, argv: &[Vec<u8>]) -> Result<(), Denied> {
        let ctx = &*self.ctx;
        let user = ctx
            .clients
            .get(&ctx.client_id)
            .map_or(crate::server::acl::DEFAULT_USER, |client| {
                client.user_name()
            });
        ctx.server.acl.check(user, spec, argv)
    }

    /// Why the script may not run this command now, as `scriptCall`'s
    /// checks answer before `call`: each refusal counts as the command's
    /// `rejected_calls`, not as a call.
    fn refusal(&self, spec: &CommandSpec, argv: &[Vec<u8>]) -> Option<Reply> {
        if spec.has(flags::NOSCRIPT) && !self.ctx.server.scripts_call_noscript {
            return Some(Reply::error(
                "ERR This Redis command is not allowed from script",
            ));
        }
        if let Err(denied) = self.caller_may_run(spec, argv) {
            return Some(Reply::error(denied.script_error()));
        }
        let may_replicate = crate::server::pause::flagged_may_replicate(spec);
        if self.read_only && (spec.has(flags::WRITE) || may_replicate) {
            return Some(Reply::error(
                "ERR Write commands are not allowed from read-only scripts.",
            ));
        }
        if spec.has(flags::WRITE) && self.ctx.server.read_only_replica() {
            return Some(Reply::error(crate::server::replication::READONLY_ERROR));
        }
        // Only before the script's first write, which must not be left
        // half done.
        if spec.has(flags::WRITE)
            && !self.progress.wrote.get()
            && !self.ctx.server.enough_good_replicas()
        {
            return Some(Reply::error(crate::server::replication::NOREPLICAS_ERROR));
        }
        // `scriptVerifyOOM`: only before the script's first write, which
        // must not be left half done.
        if spec.has(flags::DENYOOM)
            && !self.allow_oom
            && !self.progress.wrote.get()
            && self.ctx.server.script_out_of_memory()
        {
            return Some(Reply::error(crate::server::memory::OOM_ERROR));
        }
        None
    }

    /// `scriptCall`'s error path: the refusal is an error reply of the
    /// script's client (counted in INFO errorstats now) and a rejected call
    /// of the command, if there is one.
    fn rejected(&mut self, spec: Option<&CommandSpec>, refusal: Reply) -> Reply {
        let stats = &mut self.ctx.server.stats;
        if let Some(spec) = spec {
            stats.command(spec.name).rejected_calls += 1;
        }
        if let Reply::Error(text) = &refusal {
            stats.count_error(text);
        }
        refusal
    }

    fn run_command(&mut self, argv: &[Vec<u8>], resp: ScriptResp) -> Reply {
        // Numbers among the arguments of a command refused before it runs
        // are not charged.
        let numbers = super::command_args::take_number_arguments();
        let spec = match script_command(argv) {
            Ok(spec) => spec,
            Err(message) => {
                // A known command with the wrong arity is rejected, as
                // `scriptCall` counts it; an unknown one has no stats.
                let spec = commands::lookup(&argv[0]);
                return self.rejected(spec, Reply::error(message));
            }
        };
        if let Some(refusal) = self.refusal(spec, argv) {
            return self.rejected(Some(spec), refusal);
        }
        if spec.has(flags::WRITE) {
            self.progress.wrote.set(true);
        }
        let ctx = &mut *self.ctx;
        if let Some(client) = ctx.clients.get_mut(&SCRIPT_CLIENT_ID) {
            client.protocol = match resp {
                ScriptResp::Two => Protocol::Resp2,
                ScriptResp::Three => Protocol::Resp3,
            };
        }
        let saved = (ctx.client_id, ctx.caller);
        ctx.client_id = SCRIPT_CLIENT_ID;
        ctx.caller = Caller::Script {
            read_only: self.read_only,
        };
        let elapsed = elapsed_us(self.progress.instructions.get(), &self.progress);
        let wall_clock = ctx
            .server
            .scripting
            .watcher
            .as_ref()
            .and_then(|w| w.borrow_mut().wall_clock_us());
        ctx.server.scripting.clock_us =
            Some(wall_clock.unwrap_or(self.started_us.saturating_add(elapsed as i64)));
        let before = ctx.cost_ns;
        ctx.cost_ns += cost::NUMBER_ARGUMENT_NS * numbers;
        let reply = call(ctx, spec, argv);
        ctx.cost_ns += cost::SCRIPT_CALL_NS
            + cost::SCRIPT_REPLY_ELEMENT_NS * elements(&reply)
            + if matches!(reply, Reply::Status(_)) {
                cost::STATUS_REPLY_NS
            } else {
                0
            };
        let spent = ctx.cost_ns - before;
        (ctx.client_id, ctx.caller) = saved;
        self.progress
            .commands_ns
            .set(self.progress.commands_ns.get() + spent);
        reply
    }
}

/// How many elements a reply has, nested ones included: each becomes a Lua
/// value.
fn elements(reply: &Reply) -> u64 {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
            items.iter().map(|r| 1 + elements(r)).sum()
        }
        Reply::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| 2 + elements(k) + elements(v))
            .sum(),
        _ => 0,
    }
}

/// Looks a command up with the errors scripts get (`scriptVerifyCommandArity`).
fn script_command(argv: &[Vec<u8>]) -> Result<&'static CommandSpec, &'static str> {
    const UNKNOWN: &str = "ERR Unknown Redis command called from script";
    const ARITY: &str = "ERR Wrong number of args calling Redis command from script";
    let spec = commands::lookup(&argv[0]).ok_or(UNKNOWN)?;
    if spec.subcommands.is_empty() || argv.len() < 2 {
        return if spec.arity_ok(argv.len()) {
            Ok(spec)
        } else {
            Err(ARITY)
        };
    }
    let sub = String::from_utf8_lossy(&argv[1]).to_ascii_lowercase();
    let sub = spec
        .subcommands
        .iter()
        .find(|s| s.name == sub)
        .ok_or(UNKNOWN)?;
    if sub.arity_ok(argv.len()) {
        Ok(sub)
    } else {
        Err(ARITY)
    }
}
