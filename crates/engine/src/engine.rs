//! The engine: one Redis node's state and the command dispatcher.

use std::collections::BTreeMap;

use crate::client::{ClientId, ClientState, Protocol};
use crate::command::{flags, Caller, CommandSpec, Ctx};
use crate::commands;
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::server::ServerState;

/// The result of one command on one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub reply: Reply,
    /// Simulated time the command kept the node busy, in microseconds.
    pub cost_us: u64,
    /// The connection should be closed after the reply (QUIT).
    pub close: bool,
}

/// Base simulated cost of any command, before per-element work.
pub const BASE_COST_US: u64 = 1;

/// One Redis node.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    pub(crate) db: Keyspace,
    pub(crate) clients: BTreeMap<ClientId, ClientState>,
    pub(crate) server: ServerState,
}

impl Engine {
    pub fn new(now_ms: i64) -> Self {
        let mut engine = Engine::default();
        engine.server.started_ms = now_ms;
        engine.server.next_client_id = 1;
        engine
    }

    /// Registers a new connection and returns its id.
    pub fn connect(&mut self, addr: &str, now_ms: i64) -> ClientId {
        let id = self.server.next_client_id;
        self.server.next_client_id += 1;
        self.server.stats.total_connections_received += 1;
        let mut client = ClientState::new(id, now_ms);
        client.addr = addr.to_string();
        self.clients.insert(id, client);
        id
    }

    /// Forgets a connection: its transaction, watches and subscriptions.
    pub fn disconnect(&mut self, id: ClientId) {
        if let Some(client) = self.clients.remove(&id) {
            self.db.unwatch_all(id, &client.watched);
        }
    }

    pub fn protocol(&self, id: ClientId) -> Protocol {
        self.clients
            .get(&id)
            .map(|c| c.protocol)
            .unwrap_or_default()
    }

    /// Out-of-band replies (pub/sub messages, MONITOR lines) for `id`.
    pub fn take_pushes(&mut self, id: ClientId) -> Vec<Reply> {
        self.clients
            .get_mut(&id)
            .map(|c| c.pushes.drain(..).collect())
            .unwrap_or_default()
    }

    pub fn keyspace(&self) -> &Keyspace {
        &self.db
    }

    pub fn keyspace_mut(&mut self) -> &mut Keyspace {
        &mut self.db
    }

    /// Caps the Lua instructions one script may run (for hosts where nobody
    /// could send SCRIPT KILL, such as the page's console). `None`: no cap.
    pub fn set_script_instruction_limit(&mut self, limit: Option<u64>) {
        self.server.scripting.instruction_limit = limit;
    }

    /// Installs the host's view into running scripts (script time, BUSY
    /// answers to other clients, SCRIPT KILL).
    pub fn set_script_watcher(
        &mut self,
        watcher: Option<std::rc::Rc<std::cell::RefCell<dyn crate::scripting::ScriptWatcher>>>,
    ) {
        self.server.scripting.watcher = watcher;
    }

    /// Lines scripts wrote with `redis.log` since the last call.
    pub fn drain_script_log(&mut self) -> Vec<crate::scripting::ScriptLogLine> {
        self.server.scripting.drain_log()
    }

    /// Runs the active expiry cycle; returns the keys it removed.
    pub fn active_expire(&mut self, now_ms: i64) -> Vec<Vec<u8>> {
        self.db.active_expire(now_ms)
    }

    /// Runs one command sent by connection `id` at `now_ms`.
    pub fn execute(&mut self, id: ClientId, args: &[Vec<u8>], now_ms: i64) -> Outcome {
        if !self.clients.contains_key(&id) {
            let reply = Reply::error("ERR unknown client");
            return Outcome {
                reply,
                cost_us: 0,
                close: true,
            };
        }
        if args.is_empty() {
            // Redis ignores an empty multibulk.
            return Outcome {
                reply: Reply::Many(Vec::new()),
                cost_us: 0,
                close: false,
            };
        }
        let spec = match resolve(args) {
            Ok(spec) => spec,
            Err(reply) => {
                if let Some(multi) = self.client_mut(id).multi.as_mut() {
                    multi.errored = true;
                }
                return Outcome {
                    reply,
                    cost_us: BASE_COST_US,
                    close: false,
                };
            }
        };
        if let Some(reply) = self.refusal(id, spec, args) {
            if let Some(multi) = self.client_mut(id).multi.as_mut() {
                multi.errored = true;
            }
            return Outcome {
                reply,
                cost_us: BASE_COST_US,
                close: false,
            };
        }
        if let Some(multi) = self.client_mut(id).multi.as_mut() {
            if !runs_inside_multi(spec) {
                multi.queued.push(args.to_vec());
                let reply = Reply::Status("QUEUED".into());
                return Outcome {
                    reply,
                    cost_us: BASE_COST_US,
                    close: false,
                };
            }
        }
        let mut ctx = Ctx {
            db: &mut self.db,
            clients: &mut self.clients,
            server: &mut self.server,
            client_id: id,
            now_ms,
            caller: Caller::Client,
            cost_us: 0,
        };
        let reply = call(&mut ctx, spec, args);
        let cost_us = ctx.cost_us;
        let close = spec.name == "quit";
        if let Some(client) = self.clients.get_mut(&id) {
            client.last_command_ms = now_ms;
        }
        Outcome {
            reply,
            cost_us,
            close,
        }
    }

    fn client_mut(&mut self, id: ClientId) -> &mut ClientState {
        self.clients.get_mut(&id).expect("checked by execute")
    }

    /// Refusals that depend on the connection's state rather than on the
    /// command's arguments.
    fn refusal(&mut self, id: ClientId, spec: &CommandSpec, args: &[Vec<u8>]) -> Option<Reply> {
        let client = self.client_mut(id);
        if client.multi.is_some() && spec.has(flags::NO_MULTI) {
            return Some(Reply::error("ERR Command not allowed inside a transaction"));
        }
        if client.in_pubsub_context() && !spec.has(flags::PUBSUB) {
            return Some(Reply::error(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                spec_full_name(spec, args)
            )));
        }
        None
    }
}

/// Commands that act at once even inside MULTI, as in Redis's `processCommand`.
fn runs_inside_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
}

/// Redis's `fullname`: `config|get` for a subcommand, `get` otherwise.
fn spec_full_name(spec: &CommandSpec, args: &[Vec<u8>]) -> String {
    match commands::lookup(&args[0]) {
        Some(parent) if !parent.subcommands.is_empty() => format!("{}|{}", parent.name, spec.name),
        _ => spec.name.to_string(),
    }
}

/// Finds the command (and subcommand) for `args`, checking arity, with
/// Redis 7's exact errors for unknown commands and wrong arity.
pub fn resolve(args: &[Vec<u8>]) -> Result<&'static CommandSpec, Reply> {
    let Some(spec) = commands::lookup(&args[0]) else {
        return Err(unknown_command(args));
    };
    if spec.subcommands.is_empty() {
        if !spec.arity_ok(args.len()) {
            return Err(Reply::wrong_arity(spec.name));
        }
        return Ok(spec);
    }
    if args.len() < 2 {
        return Err(Reply::wrong_arity(spec.name));
    }
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    let Some(subspec) = spec.subcommands.iter().find(|s| s.name == sub) else {
        return Err(Reply::error(format!(
            "ERR unknown subcommand '{}'. Try {} HELP.",
            truncate_for_error(&args[1], 128),
            spec.name.to_ascii_uppercase()
        )));
    };
    if !subspec.arity_ok(args.len()) {
        return Err(Reply::wrong_arity(&format!(
            "{}|{}",
            spec.name, subspec.name
        )));
    }
    Ok(subspec)
}

fn truncate_for_error(bytes: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
    // Error replies are single lines: Redis turns CR/LF into spaces.
    s.replace(['\r', '\n'], " ")
}

fn unknown_command(args: &[Vec<u8>]) -> Reply {
    let mut listed = String::new();
    for arg in &args[1..] {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        listed.push_str(&format!("'{}' ", truncate_for_error(arg, room)));
    }
    Reply::error(format!(
        "ERR unknown command '{}', with args beginning with: {}",
        truncate_for_error(&args[0], 128),
        listed
    ))
}

/// Runs a resolved command: the path shared by direct calls, EXEC and
/// scripts. Counts it and charges its base cost.
pub fn call(ctx: &mut Ctx, spec: &CommandSpec, args: &[Vec<u8>]) -> Reply {
    ctx.cost_us += BASE_COST_US;
    ctx.server.stats.total_commands_processed += 1;
    (spec.handler)(ctx, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(engine: &mut Engine, id: ClientId, line: &str) -> Reply {
        let args: Vec<Vec<u8>> = line.split(' ').map(|s| s.as_bytes().to_vec()).collect();
        engine.execute(id, &args, 0).reply
    }

    #[test]
    fn ping_and_echo() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(run(&mut e, c, "PING"), Reply::Status("PONG".into()));
        assert_eq!(run(&mut e, c, "ping hi"), Reply::bulk("hi"));
        assert_eq!(run(&mut e, c, "ECHO x"), Reply::bulk("x"));
        assert_eq!(
            run(&mut e, c, "ECHO"),
            Reply::error("ERR wrong number of arguments for 'echo' command")
        );
    }

    #[test]
    fn unknown_command_lists_its_arguments() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(
            run(&mut e, c, "FOO a b"),
            Reply::error("ERR unknown command 'FOO', with args beginning with: 'a' 'b' ")
        );
    }
}
