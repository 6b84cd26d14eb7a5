//! Client processes: Lua programs run as coroutines in one Lua state per
//! world, each process with its own globals.
//!
//! A task (the program, or a function it spawned) runs until it asks the
//! world for something — a command, a sleep, the time — by yielding a
//! [`Request`]. The world answers by resuming it, now or later. Lua code
//! between two requests takes no simulated time; `work(ms)` is how a
//! program spends CPU.

pub mod inbox;

use std::collections::BTreeMap;

use lockstep_engine::Reply;
use lockstep_lua::mlua::{self, Function, Lua, MultiValue, Table, Thread, Value};
use lockstep_lua::{Budget, Limits, LuaVm, RunError};

use crate::actor::ActorId;
use crate::clock::Clock;
use crate::scenario::ClientSpec;
use crate::trace::Time;

/// Instructions a task may run between two requests before it is judged
/// stuck in a loop that never asks the world for anything.
pub const INSTRUCTIONS_PER_STEP: u64 = 20_000_000;

/// The clients' Lua state with the client API installed.
pub struct ClientVm {
    vm: LuaVm,
    libraries: Table,
    /// (client, source) -> a function that makes a fresh closure of it.
    programs: std::cell::RefCell<BTreeMap<(String, String), Function>>,
}

/// What a task asked for when it yielded.
#[derive(Debug)]
pub enum Request {
    Call {
        node: Option<String>,
        args: Vec<Vec<u8>>,
    },
    /// Several commands sent together, their replies read together.
    Pipeline {
        node: Option<String>,
        commands: Vec<Vec<Vec<u8>>>,
    },
    Sleep(f64),
    Work(f64),
    /// The next pub/sub message on the task's connection, waiting at most
    /// this many ms (`None`: as long as the run lasts).
    NextMessage(Option<f64>),
    /// Drops the subscription confirmations at the front of the inbox and
    /// returns the last count (what `subscribe(a, b)` returns).
    Confirmations,
    Now,
    Uuid,
    Random(Option<f64>, Option<f64>),
    Enter(String),
    Leave(String),
    Spawn(Function, MultiValue),
    Log(String),
    Write {
        resource: String,
        id: Option<String>,
        token: Option<i64>,
        value: String,
    },
    Query {
        database: String,
        query: crate::database::Query,
    },
    /// A request to a consensus service.
    Consensus {
        service: String,
        op: crate::consensus::Op,
    },
    /// The next request from a traffic generator.
    NextFromTraffic,
    /// The outcome of a request served.
    Respond {
        traffic: String,
        id: u64,
        user: u64,
        outcome: String,
    },
}

/// How a resume ended.
pub enum Step {
    Yielded(Request),
    Finished,
    Failed(String),
}

/// What a task is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// A reply to message `msg`, sent to actor `to`.
    Reply {
        msg: u64,
        to: ActorId,
    },
    /// A wake-up with this token (sleep or work).
    Wake {
        token: u64,
    },
    /// The next request from the traffic (`next_request`).
    Request,
    /// A pub/sub message on the task's connection (or the timeout with
    /// this token).
    Message {
        token: u64,
    },
    Nothing,
}

pub struct Task {
    pub thread: Thread,
    pub waiting: Waiting,
    /// For `work`: when the CPU time runs out, so a pause can push it back.
    pub work_ends: Option<Time>,
}

pub struct Process {
    pub spec: ClientSpec,
    pub actor: ActorId,
    /// Its own node (an index into the world's nodes).
    pub node: usize,
    /// Follows the sentinel's primary when a failover happens.
    pub follows_primary: bool,
    pub clock: Clock,
    pub tasks: BTreeMap<u32, Task>,
    pub next_task: u32,
    pub alive: bool,
    pub paused_until: Option<Time>,
    pub environment: Option<Table>,
    /// How many times the process entered each critical section.
    pub entered_count: BTreeMap<String, u32>,
    /// Global time of the last `enter`: the turn a write belongs to, for
    /// the stale-write check.
    pub last_enter: Option<Time>,
    /// A task that was about to continue when a pause struck, with what it
    /// was to be resumed with.
    pub pending_resume: Option<(u32, MultiValue)>,
    /// A spawned task's arguments, until its first resume.
    pub spawn_args: BTreeMap<u32, MultiValue>,
    pub failed: Option<String>,
    /// `seq` and time of the event where it failed.
    pub failed_at: Option<(u64, crate::trace::Time)>,
    pub finished: bool,
    /// Requests from traffic generators not yet taken (`next_request`):
    /// the generator's index and the request.
    pub inbox: std::collections::VecDeque<(usize, crate::traffic::Request)>,
    /// Requests on the network towards this process.
    pub requests_on_the_way: u32,
    /// Each task's unread pub/sub deliveries.
    pub inboxes: BTreeMap<u32, inbox::Inbox>,
    /// Each task's pipeline in flight: its messages and the replies so far.
    pub pipelines: BTreeMap<u32, PipelineInFlight>,
    /// Libraries its current release ships itself (`[[deploy]]`
    /// `libraries`), in place of the scenario's of the same name.
    pub libraries: BTreeMap<String, String>,
}

impl Process {
    /// Killed by a fault and not restarted: its sockets closed with it
    /// (a program that ended, even with an error, is not killed).
    pub fn killed(&self) -> bool {
        !self.alive && !self.finished && self.failed.is_none()
    }
}

/// A pipeline waiting for its replies; the task waits for `msgs[0]`
/// (`Waiting::Reply`), and the others are matched here.
#[derive(Clone, Debug)]
pub struct PipelineInFlight {
    pub msgs: Vec<u64>,
    pub replies: Vec<Option<Reply>>,
}

impl ClientVm {
    pub fn new(libraries: &BTreeMap<String, String>) -> mlua::Result<ClientVm> {
        let vm = LuaVm::new(Limits::default())?;
        let lua = vm.lua();
        // cjson, struct, cmsgpack and bit, as scripts on the node have them,
        // so a program can encode what a script decodes.
        lockstep_lua::libs::install(lua)?;
        lua.load(include_str!("prelude.lua"))
            .set_name("=lockstep")
            .exec()?;
        let table = lua.create_table()?;
        for (name, source) in libraries {
            table.set(name.as_str(), lua.create_string(source)?)?;
        }
        Ok(ClientVm {
            vm,
            libraries: table,
            programs: Default::default(),
        })
    }

    pub fn lua(&self) -> &Lua {
        self.vm.lua()
    }

    /// Compiles a process's program into a task-ready function with the
    /// process's own environment.
    /// `own_libraries` replace the scenario's libraries of the same name
    /// for this process (a deployed release's own copies).
    pub fn program(
        &self,
        spec: &ClientSpec,
        own_libraries: &BTreeMap<String, String>,
    ) -> mlua::Result<(Function, Table)> {
        let lua = self.vm.lua();
        let params = toml_to_lua(lua, &toml::Value::Table(spec.params.clone()))?;
        let make: Function = lua.globals().get("__lockstep_environment")?;
        let libraries = if own_libraries.is_empty() {
            self.libraries.clone()
        } else {
            let table = lua.create_table()?;
            for pair in self.libraries.pairs::<Value, Value>() {
                let (name, source) = pair?;
                table.raw_set(name, source)?;
            }
            for (name, source) in own_libraries {
                table.raw_set(name.as_str(), lua.create_string(source)?)?;
            }
            table
        };
        let env: Table = make.call((spec.name.as_str(), params, libraries))?;
        let source = match (&spec.program, &spec.library) {
            (Some(program), _) => program.clone(),
            (None, Some(library)) => format!("return require({library:?}).main(params)"),
            (None, None) => String::new(),
        };
        let function = self.fresh_closure(&spec.name, source)?;
        function.set_environment(env.clone())?;
        Ok((function, env))
    }

    /// A new closure of `source`, compiled once per state: the explorer runs
    /// the same programs thousands of times, and compiling them was most of
    /// the cost of building a world.
    fn fresh_closure(&self, name: &str, source: String) -> mlua::Result<Function> {
        let key = (name.to_string(), source);
        let cached = self.programs.borrow().get(&key).cloned();
        let factory = match cached {
            Some(factory) => factory,
            None => {
                // On the program's first line, so error lines stay its own.
                let wrapped = format!("return function(...) {}\nend", key.1);
                let factory = self
                    .vm
                    .lua()
                    .load(wrapped)
                    .set_name(format!("={name}"))
                    .into_function()?;
                self.programs.borrow_mut().insert(key, factory.clone());
                factory
            }
        };
        factory.call(())
    }

    pub fn thread(&self, function: Function) -> mlua::Result<Thread> {
        self.vm.lua().create_thread(function)
    }

    /// Runs `thread` until its next request.
    pub fn resume(&mut self, thread: &Thread, args: MultiValue) -> Step {
        let result = self
            .vm
            .run(Budget::instructions(INSTRUCTIONS_PER_STEP), |_| {
                thread.resume::<MultiValue>(args)
            });
        match result {
            Ok(values) if thread.is_resumable() => match parse_request(values) {
                Ok(request) => Step::Yielded(request),
                Err(message) => Step::Failed(message),
            },
            Ok(_) => Step::Finished,
            Err(RunError::Stopped(_)) => Step::Failed(format!(
                "the program ran {INSTRUCTIONS_PER_STEP} Lua instructions without calling \
                 Redis, sleeping or working (an endless loop?); the simulator stopped it"
            )),
            Err(RunError::Lua(error)) => Step::Failed(lua_error_text(&error)),
            Err(RunError::Poisoned) => {
                Step::Failed("the clients' Lua state failed and was reset".into())
            }
        }
    }

    pub fn is_poisoned(&self) -> bool {
        self.vm.is_poisoned()
    }
}

/// A Lua error as a learner should read it: the message, without mlua's
/// traceback decoration.
pub fn lua_error_text(error: &mlua::Error) -> String {
    let text = lua_error_message(error);
    match text.find("\nstack traceback:") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

fn lua_error_message(error: &mlua::Error) -> String {
    match error {
        mlua::Error::RuntimeError(message) | mlua::Error::SyntaxError { message, .. } => {
            message.clone()
        }
        mlua::Error::CallbackError { cause, .. } => lua_error_message(cause),
        mlua::Error::MemoryError(_) => "the program ran out of memory (64 MiB of Lua heap)".into(),
        other => other.to_string(),
    }
}

fn parse_request(values: MultiValue) -> Result<Request, String> {
    let mut values = values.into_iter();
    let op = match values.next() {
        Some(Value::String(s)) => s.to_string_lossy().to_string(),
        _ => {
            return Err("coroutine.yield was called outside the client API; \
                        client programs cannot use coroutines that yield"
                .into())
        }
    };
    let mut next = || values.next().unwrap_or(Value::Nil);
    let text = |v: Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.to_string_lossy().to_string()),
            Value::Integer(i) => Some(i.to_string()),
            Value::Number(n) => Some(lua_number_text(n)),
            _ => None,
        }
    };
    let number = |v: Value| -> Option<f64> {
        match v {
            Value::Integer(i) => Some(i as f64),
            Value::Number(n) => Some(n),
            _ => None,
        }
    };
    Ok(match op.as_str() {
        "call" => {
            let node = text(next());
            let args = values
                .map(|v| match v {
                    Value::String(s) => s.as_bytes().to_vec(),
                    other => text(other).unwrap_or_default().into_bytes(),
                })
                .collect();
            Request::Call { node, args }
        }
        "pipeline" => {
            let node = text(next());
            let Value::Table(list) = next() else {
                return Err("pipeline expects a list of commands".into());
            };
            let mut commands = Vec::new();
            for command in list.sequence_values::<Value>() {
                let Ok(Value::Table(command)) = command else {
                    return Err("pipeline expects a list of commands".into());
                };
                let args = command
                    .sequence_values::<Value>()
                    .map(|v| match v {
                        Ok(Value::String(s)) => s.as_bytes().to_vec(),
                        Ok(other) => text(other).unwrap_or_default().into_bytes(),
                        Err(_) => Vec::new(),
                    })
                    .collect();
                commands.push(args);
            }
            Request::Pipeline { node, commands }
        }
        "sleep" => Request::Sleep(number(next()).unwrap_or(0.0)),
        "work" => Request::Work(number(next()).unwrap_or(0.0)),
        "next_message" => Request::NextMessage(number(next())),
        "confirmations" => Request::Confirmations,
        "now" => Request::Now,
        "uuid" => Request::Uuid,
        "random" => {
            let m = number(next());
            let n = number(next());
            Request::Random(m, n)
        }
        "enter" => Request::Enter(text(next()).unwrap_or_default()),
        "leave" => Request::Leave(text(next()).unwrap_or_default()),
        "log" => Request::Log(text(next()).unwrap_or_default()),
        "spawn" => match next() {
            Value::Function(f) => Request::Spawn(f, values.collect()),
            _ => return Err("spawn expects a function".into()),
        },
        "write" => {
            let resource = text(next()).unwrap_or_default();
            let id = text(next());
            let token = number(next()).map(|t| t as i64);
            let value = text(next()).unwrap_or_default();
            Request::Write {
                resource,
                id,
                token,
                value,
            }
        }
        "next_request" => Request::NextFromTraffic,
        "respond" => {
            let traffic = text(next()).unwrap_or_default();
            let id = number(next()).unwrap_or(0.0).max(0.0) as u64;
            let user = number(next()).unwrap_or(0.0).max(0.0) as u64;
            let outcome = text(next()).unwrap_or_default();
            Request::Respond {
                traffic,
                id,
                user,
                outcome,
            }
        }
        "query" => {
            use crate::database::{Expect, Query};
            let database = text(next()).unwrap_or_default();
            let op = text(next()).unwrap_or_default();
            let key = text(next()).unwrap_or_default();
            let value = text(next()).unwrap_or_default();
            let condition = text(next()).unwrap_or_default();
            let expected = next();
            let query = match op.as_str() {
                "get" => Query::Get { key },
                "put" => Query::Put { key, value },
                "delete" => Query::Delete { key },
                "update" => {
                    let expect = match condition.as_str() {
                        "version" => match number(expected) {
                            Some(v) if v >= 0.0 && v.fract() == 0.0 => Expect::Version(v as u64),
                            _ => {
                                return Err("db.update: `version` must be a whole number ≥ 0".into())
                            }
                        },
                        "value" => Expect::Value(text(expected).unwrap_or_default()),
                        _ => Expect::Absent,
                    };
                    Query::Update { key, value, expect }
                }
                other => return Err(format!("unknown database operation \"{other}\"")),
            };
            Request::Query { database, query }
        }
        "consensus" => {
            use crate::consensus::Op;
            let service = text(next()).unwrap_or_default();
            let op = text(next()).unwrap_or_default();
            let lease_id = |value: Value, what: &str| match number(value) {
                Some(n) if n >= 1.0 && n.fract() == 0.0 => Ok(n as u64),
                _ => Err(format!("{what} expects a lease id (from grant)")),
            };
            let op = match op.as_str() {
                "grant" => match number(next()) {
                    Some(ttl_ms) if ttl_ms.is_finite() && ttl_ms > 0.0 => Op::Grant { ttl_ms },
                    _ => return Err("grant expects a TTL in ms above 0".into()),
                },
                "keepalive" => Op::KeepAlive {
                    lease: lease_id(next(), "keepalive")?,
                },
                "revoke" => Op::Revoke {
                    lease: lease_id(next(), "revoke")?,
                },
                "put_if_absent" => {
                    let key = text(next()).unwrap_or_default();
                    let value = text(next()).unwrap_or_default();
                    let lease = match next() {
                        Value::Nil => None,
                        other => Some(lease_id(other, "put_if_absent")?),
                    };
                    Op::PutIfAbsent { key, value, lease }
                }
                "get" => Op::Get {
                    key: text(next()).unwrap_or_default(),
                },
                "delete" => Op::Delete {
                    key: text(next()).unwrap_or_default(),
                },
                other => return Err(format!("unknown consensus operation \"{other}\"")),
            };
            Request::Consensus { service, op }
        }
        other => return Err(format!("unknown request \"{other}\" from the client API")),
    })
}

/// A number as Lua 5.1's `tostring` writes it (`%.14g`).
pub use lockstep_lua::cnum::lua_number_text;

/// A reply as the program sees it: Redis's script conversion, except that
/// status replies are plain strings (`"OK"`), as client libraries give them.
/// Errors are returned separately, as `Err(message)`.
pub fn reply_to_lua(lua: &Lua, reply: &Reply) -> mlua::Result<Result<Value, String>> {
    Ok(Ok(match reply {
        Reply::Error(message) => return Ok(Err(message.clone())),
        Reply::Status(s) | Reply::Verbatim(s) | Reply::BigNumber(s) => {
            Value::String(lua.create_string(s)?)
        }
        Reply::Integer(i) => Value::Number(*i as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Attributed { reply, .. } => return reply_to_lua(lua, reply),
        Reply::Null | Reply::NullArray => Value::Boolean(false),
        Reply::Double(_) => {
            // RESP2 sends a double as a bulk string in Redis's own format.
            let bytes = lockstep_engine::encode::to_bytes(reply, lockstep_engine::Protocol::Resp2);
            let text = bytes.splitn(2, |&c| c == b'\n').nth(1).unwrap_or_default();
            Value::String(lua.create_string(text.strip_suffix(b"\r\n").unwrap_or(text))?)
        }
        Reply::Bool(b) => Value::Number(if *b { 1.0 } else { 0.0 }),
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) | Reply::Many(items) => {
            let table = lua.create_table()?;
            for (i, item) in items.iter().enumerate() {
                let value = match reply_to_lua(lua, item)? {
                    Ok(v) => v,
                    Err(e) => {
                        let t = lua.create_table()?;
                        t.set("err", e)?;
                        Value::Table(t)
                    }
                };
                table.raw_set(i + 1, value)?;
            }
            Value::Table(table)
        }
        Reply::Map(pairs) => {
            let table = lua.create_table()?;
            let mut i = 1;
            for (k, v) in pairs {
                for item in [k, v] {
                    if let Ok(value) = reply_to_lua(lua, item)? {
                        table.raw_set(i, value)?;
                    }
                    i += 1;
                }
            }
            Value::Table(table)
        }
    }))
}

fn toml_to_lua(lua: &Lua, value: &toml::Value) -> mlua::Result<Value> {
    Ok(match value {
        toml::Value::String(s) => Value::String(lua.create_string(s)?),
        toml::Value::Integer(i) => Value::Number(*i as f64),
        toml::Value::Float(f) => Value::Number(*f),
        toml::Value::Boolean(b) => Value::Boolean(*b),
        toml::Value::Datetime(d) => Value::String(lua.create_string(d.to_string())?),
        toml::Value::Array(items) => {
            let table = lua.create_table()?;
            for (i, item) in items.iter().enumerate() {
                table.raw_set(i + 1, toml_to_lua(lua, item)?)?;
            }
            Value::Table(table)
        }
        toml::Value::Table(map) => {
            let table = lua.create_table()?;
            for (k, v) in map {
                table.raw_set(k.as_str(), toml_to_lua(lua, v)?)?;
            }
            Value::Table(table)
        }
    })
}
