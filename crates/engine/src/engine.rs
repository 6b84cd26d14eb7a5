//! The engine: one Redis node's state and the command dispatcher.
//!
//! [`Engine::execute`] is Redis's `processCommand`: it finds the command,
//! refuses it if the connection's state forbids it (with the transaction
//! flagged, as `rejectCommand` does), queues it inside MULTI, or runs it
//! through [`call`]. `call` is the one path every command takes — direct,
//! from EXEC, from a script — and does what Redis's `call()` does around a
//! command: statistics, the slow log, MONITOR lines.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use crate::client::{ClientId, ClientState, Protocol};
use crate::command::{flags, Caller, CommandSpec, Ctx};
use crate::commands;
use crate::cost;
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::repr::repr;
use crate::server::config::{param, Config};
use crate::server::ServerState;

/// The result of one command on one connection.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub reply: Reply,
    /// Simulated time the command kept the node busy, in microseconds. The
    /// engine only reports it: the caller (the simulator, `lockstep serve`)
    /// is what keeps the node busy that long — a DEBUG SLEEP 2 costs two
    /// seconds here, and the node must not run anything else meanwhile.
    pub cost_us: u64,
    /// The same, in nanoseconds as the cost model adds it up (`cost_us` is
    /// this rounded up to whole microseconds).
    pub cost_ns: u64,
    /// The connection should be closed after the reply (QUIT).
    pub close: bool,
    /// The command blocked (BLPOP on an empty list, ...): there is no reply
    /// yet (`reply` is empty). The connection must hold its next commands
    /// until the engine unblocks it; see [`crate::blocking`].
    pub blocked: bool,
}

/// The data a node keeps across a restart or copies to a replica.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
    /// Databases 0..16 in order.
    pub dbs: Vec<Keyspace>,
    pub libraries: crate::scripting::Libraries,
}

/// The id of a node's first connection. Redis creates two clients of its
/// own at start-up (the Lua clients of EVAL and of FUNCTION, ids 1 and 2),
/// so the first connection is number 3; CLIENT ID and HELLO show it.
pub const FIRST_CLIENT_ID: ClientId = 3;

/// One Redis node.
#[derive(Clone, Debug, Default)]
pub struct Engine {
    /// Database 0 between commands; the running command's database during
    /// one (see `ServerState::parked_dbs`).
    pub(crate) db: Keyspace,
    pub(crate) clients: BTreeMap<ClientId, ClientState>,
    pub(crate) server: ServerState,
}

impl Engine {
    pub fn new(now_ms: i64) -> Self {
        let mut engine = Engine::default();
        engine.server.started_ms = now_ms;
        engine.server.last_save_ms = now_ms;
        engine.server.next_client_id = FIRST_CLIENT_ID;
        engine
    }

    /// The bodies of the scripts in the script cache (SCRIPT LOAD, EVAL),
    /// in sha1 order. Redis offers no command that lists them; a copy of the
    /// node (a console forked from a run) loads them to answer EVALSHA as
    /// the node would.
    pub fn cached_scripts(&self) -> Vec<Vec<u8>> {
        self.server.scripting.scripts.values().cloned().collect()
    }

    /// Registers a new connection and returns its id.
    pub fn connect(&mut self, addr: &str, now_ms: i64) -> ClientId {
        let id = self.server.next_client_id;
        self.server.next_client_id += 1;
        self.server.stats.total_connections_received += 1;
        let mut client = ClientState::new(id, now_ms);
        client.addr = addr.to_string();
        client.authenticated = self
            .server
            .config
            .get("requirepass")
            .unwrap_or("")
            .is_empty();
        self.clients.insert(id, client);
        id
    }

    /// Forgets a connection: its transaction, watches and subscriptions.
    /// The connections CLIENT KILL closed since the last call: the host
    /// closes them (the caller's own after its reply) and disconnects them.
    pub fn take_killed(&mut self) -> Vec<ClientId> {
        std::mem::take(&mut self.server.killed_clients)
    }

    /// Whether a SHUTDOWN was accepted since the last call: the host ends
    /// its process without sending the reply (a host that cannot, such as
    /// the page, sends it: Redis's error for a shutdown that failed).
    pub fn take_shutdown(&mut self) -> bool {
        std::mem::take(&mut self.server.shutdown_asked)
    }

    pub fn disconnect(&mut self, id: ClientId) {
        self.drop_wait(id);
        self.server.tracking.disconnected(id);
        if let Some(client) = self.clients.remove(&id) {
            for (db, keys) in watched_by_db(&client.watched) {
                if let Some(ks) = self.db_at(db) {
                    ks.unwatch_all(id, &keys);
                }
            }
        }
    }

    /// Whether the connection is inside MULTI.
    pub fn in_multi(&self, id: ClientId) -> bool {
        self.clients.get(&id).is_some_and(|c| c.multi.is_some())
    }

    /// Applies what a connection changed of its own state while a script
    /// kept the node busy (see [`crate::scripting::BusyClient`]); the
    /// replies were given then.
    pub fn replay(&mut self, id: ClientId, replay: Vec<crate::scripting::Replay>, now_ms: i64) {
        for change in replay {
            match change {
                crate::scripting::Replay::Command(args) => {
                    self.execute(id, &args, now_ms);
                }
                crate::scripting::Replay::FlagTransaction => {
                    if let Some(multi) = self.clients.get_mut(&id).and_then(|c| c.multi.as_mut()) {
                        multi.errored = true;
                    }
                }
            }
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
        let Some(client) = self.clients.get_mut(&id) else {
            return Vec::new();
        };
        // Pushes go out even under CLIENT REPLY OFF (Redis 7's
        // `CLIENT_PUSHING`).
        client.pushes.drain(..).collect()
    }

    /// The connections with out-of-band replies waiting, in id order, so
    /// that a server with many connections visits only those after a
    /// command (a scan without lookups; nothing is allocated when none wait).
    pub fn clients_with_pushes(&self) -> Vec<ClientId> {
        self.clients
            .iter()
            .filter(|(_, client)| !client.pushes.is_empty())
            .map(|(&id, _)| id)
            .collect()
    }

    /// Database 0.
    pub fn keyspace(&self) -> &Keyspace {
        &self.db
    }

    /// Database 0.
    pub fn keyspace_mut(&mut self) -> &mut Keyspace {
        &mut self.db
    }

    /// Caps the Lua instructions one script may run (for hosts where nobody
    /// could send SCRIPT KILL, such as the page's console). `None`: no cap.
    /// Runs this node's scripts at `speed` of normal speed (see
    /// [`crate::cost::ScriptSpeed`]).
    pub fn set_script_speed(&mut self, speed: crate::cost::ScriptSpeed) {
        self.server.scripting.speed = speed;
    }

    pub fn script_speed(&self) -> crate::cost::ScriptSpeed {
        self.server.scripting.speed
    }

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

    /// This node's Lua state for scripts, for another node to adopt (see
    /// [`crate::scripting::SpareScripting`]).
    pub fn take_spare_scripting(&mut self) -> Option<crate::scripting::SpareScripting> {
        self.server.scripting.take_spare()
    }

    /// Starts scripting with a spare Lua state instead of building one;
    /// false (and the spare dropped) if this node already has a state.
    pub fn adopt_spare_scripting(&mut self, spare: crate::scripting::SpareScripting) -> bool {
        self.server.scripting.adopt_spare(spare)
    }

    /// Lines scripts wrote with `redis.log` since the last call.
    pub fn drain_script_log(&mut self) -> Vec<crate::scripting::ScriptLogLine> {
        self.server.scripting.drain_log()
    }

    /// Database `index` (0..16).
    pub fn database(&self, index: usize) -> Option<&Keyspace> {
        if index == self.server.active_db {
            Some(&self.db)
        } else {
            self.server.parked_dbs.get(index)
        }
    }

    fn db_at(&mut self, index: usize) -> Option<&mut Keyspace> {
        if index == self.server.active_db {
            Some(&mut self.db)
        } else {
            self.server.parked_dbs.get_mut(index)
        }
    }

    /// Makes this node a replica of `primary` (host, port, whether the link
    /// is up), or a primary again with `None`. The engine does not copy
    /// data itself; it refuses writes as a read-only replica does (also
    /// inside EVAL and FCALL), refuses WAIT, and reports the role in ROLE
    /// and INFO replication.
    pub fn set_replica_of(&mut self, primary: Option<crate::server::replication::Primary>) {
        self.server.primary = primary;
    }

    /// The primary this node replicates, if it is a replica.
    pub fn replica_of(&self) -> Option<&crate::server::replication::Primary> {
        self.server.primary.as_ref()
    }

    /// The node's configuration, for start-up settings the way a config
    /// file gives them (`Config::set_startup`, e.g. `enable-debug-command`).
    pub fn config_mut(&mut self) -> &mut Config {
        &mut self.server.config
    }

    pub fn config(&self) -> &Config {
        &self.server.config
    }

    /// Modifications to the data so far, over all databases and the
    /// FUNCTION libraries: unchanged across a command means it wrote
    /// nothing a restart or a replica should see.
    pub fn changes(&self) -> u64 {
        self.all_dbs().map(Keyspace::changes).sum::<u64>() + self.server.scripting.library_changes
    }

    /// A copy of what the node would persist or send to a replica: every
    /// database and the function libraries (not the script cache, which
    /// Redis keeps in memory only).
    pub fn dataset(&self) -> Dataset {
        let mut dbs: Vec<Keyspace> = self
            .server
            .parked_dbs
            .iter()
            .map(Keyspace::data_only)
            .collect();
        dbs[self.server.active_db] = self.db.data_only();
        Dataset {
            dbs,
            libraries: self.server.scripting.libraries.clone(),
        }
    }

    /// Replaces the data with `dataset` (a restart, a full resync), keeping
    /// connections; watchers of changed keys will fail EXEC.
    pub fn load_dataset(&mut self, dataset: &Dataset) {
        for (index, data) in dataset.dbs.iter().enumerate() {
            if let Some(db) = self.db_at(index) {
                db.replace_data(data);
            }
        }
        if self.server.scripting.libraries != dataset.libraries {
            // The Lua state holds the old libraries' functions: start afresh.
            self.server.scripting.libraries = dataset.libraries.clone();
            self.server.scripting.vm = None;
        }
    }

    fn all_dbs(&self) -> impl Iterator<Item = &Keyspace> {
        let active = self.server.active_db;
        std::iter::once(&self.db).chain(
            self.server
                .parked_dbs
                .iter()
                .enumerate()
                .filter(move |(i, _)| *i != active)
                .map(|(_, db)| db),
        )
    }

    /// Runs the active expiry cycle on every database; returns the keys it
    /// removed. Nothing happens after DEBUG SET-ACTIVE-EXPIRE 0.
    pub fn active_expire(&mut self, now_ms: i64) -> Vec<Vec<u8>> {
        self.end_pause_if_due(now_ms);
        if !self.server.active_expire_enabled || self.server.pause.active() {
            return Vec::new();
        }
        let mut by_db = vec![(0, self.db.active_expire(now_ms))];
        for (index, db) in self.server.parked_dbs.iter_mut().enumerate() {
            if index != self.server.active_db {
                by_db.push((index, db.active_expire(now_ms)));
            }
        }
        let expired = by_db.iter().any(|(_, keys)| !keys.is_empty());
        if expired
            && self
                .server
                .config
                .get("notify-keyspace-events")
                .is_some_and(|f| !f.is_empty())
        {
            // Pushes go to subscribers through a context of no particular
            // connection (the first registered one stands in as caller).
            if let Some(&anyone) = self.clients.keys().next() {
                let mut ctx = Ctx {
                    db: &mut self.db,
                    clients: &mut self.clients,
                    server: &mut self.server,
                    client_id: anyone,
                    now_ms,
                    caller: Caller::Client,
                    cost_ns: 0,
                };
                for (index, keys) in &by_db {
                    crate::notify::expired_keys(&mut ctx, *index, keys);
                }
            }
        }
        self.tracking_after_expiry(now_ms);
        let removed = by_db.into_iter().flat_map(|(_, keys)| keys).collect();
        // A deleted stream ends its XREADGROUP waiters.
        self.serve_ready_keys(now_ms);
        removed
    }

    /// Runs one command sent by connection `id` at `now_ms`.
    pub fn execute(&mut self, id: ClientId, args: &[Vec<u8>], now_ms: i64) -> Outcome {
        let Some(client) = self.clients.get(&id) else {
            let reply = Reply::error("ERR unknown client");
            return Outcome {
                reply,
                cost_us: 0,
                cost_ns: 0,
                close: true,
                blocked: false,
            };
        };
        if args.is_empty() {
            // Redis ignores an empty multibulk.
            return Outcome {
                reply: Reply::Many(Vec::new()),
                cost_us: 0,
                cost_ns: 0,
                close: false,
                blocked: false,
            };
        }
        let selected = client.db;
        let mode_before = client.reply_mode;
        self.end_pause_if_due(now_ms);
        self.server.activate(&mut self.db, selected);
        let mut outcome = self.dispatch(id, args, now_ms);
        self.server.activate(&mut self.db, 0);
        let pushing = is_pubsub_confirmation(&args[0]);
        if let Some(client) = self.clients.get_mut(&id) {
            if !pushing {
                apply_reply_mode(client, mode_before, &mut outcome);
            }
        }
        if crate::server::eviction::changes_maxmemory(args) {
            // CONFIG SET maxmemory evicts at once, as Redis's does.
            self.over_maxmemory(id, now_ms);
        }
        // After the whole command (a MULTI/EXEC, a script), never inside it.
        self.serve_ready_keys(now_ms);
        self.finish_tracking(id, now_ms, &mut outcome);
        if outcome.close {
            self.server.tracking.closing(id);
        }
        self.run_postponed(now_ms);
        outcome
    }

    fn dispatch(&mut self, id: ClientId, args: &[Vec<u8>], now_ms: i64) -> Outcome {
        let resolved = resolve(args);
        // CLIENT LIST's `cmd=`: the command as looked up, before it runs.
        let name = match &resolved {
            Ok(spec) => full_name(spec, args),
            Err(_) => Cow::Borrowed(
                commands::lookup(&args[0])
                    .filter(|s| s.subcommands.is_empty())
                    .map_or("NULL", |s| s.name),
            ),
        };
        // Reusing the string's buffer: no allocation per command.
        let last_command = &mut self.client_mut(id).last_command;
        last_command.clear();
        last_command.push_str(&name);
        let spec = match resolved {
            Ok(spec) => spec,
            Err(reply) => return self.reject(id, args, reply, now_ms),
        };
        if let Some(reply) = self.refusal(id, spec, args, now_ms) {
            return self.reject(id, args, reply, now_ms);
        }
        if self.postpone_if_paused(id, spec, args) {
            return Outcome {
                reply: Reply::Many(Vec::new()),
                cost_us: 0,
                cost_ns: 0,
                close: false,
                blocked: true,
            };
        }
        if let Some(multi) = self.client_mut(id).multi.as_mut() {
            if !runs_inside_multi(spec) {
                multi.queued.push(args.to_vec());
                let reply = Reply::Status("QUEUED".into());
                return Outcome {
                    reply,
                    cost_us: cost::whole_micros(cost::COMMAND_NS),
                    cost_ns: cost::COMMAND_NS,
                    close: false,
                    blocked: false,
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
            cost_ns: 0,
        };
        let mut reply = call(&mut ctx, spec, args);
        let cost_ns = ctx.cost_ns;
        let blocked = self.take_block_request(id);
        if let Some(line) = self.server.own_monitor_line.take() {
            reply = Reply::Many(vec![reply, line]);
        }
        let close = spec.name == "quit";
        if let Some(client) = self.clients.get_mut(&id) {
            client.last_command_ms = now_ms;
        }
        Outcome {
            reply,
            cost_us: cost::whole_micros(cost_ns),
            cost_ns,
            close,
            blocked,
        }
    }

    fn client_mut(&mut self, id: ClientId) -> &mut ClientState {
        self.clients.get_mut(&id).expect("checked by execute")
    }

    /// Refusals that depend on the connection's state rather than on the
    /// command's arguments, in `processCommand`'s order.
    fn refusal(
        &mut self,
        id: ClientId,
        spec: &CommandSpec,
        args: &[Vec<u8>],
        now_ms: i64,
    ) -> Option<Reply> {
        if spec.has(flags::PROTECTED) {
            let addr = self.client_mut(id).addr.clone();
            if !self.server.config.debug_command_allowed(&addr) {
                return Some(Reply::error(
                    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.",
                ));
            }
        }
        let auth_required = !self.server.config.value(param!("requirepass")).is_empty();
        let client = self.client_mut(id);
        if auth_required && !client.authenticated && !spec.has(flags::NO_AUTH) {
            return Some(Reply::error("NOAUTH Authentication required."));
        }
        if client.multi.is_some() && spec.has(flags::NO_MULTI) {
            return Some(Reply::error("ERR Command not allowed inside a transaction"));
        }
        let client = self.clients.get(&id)?;
        if let Err(denied) = self.server.acl.check(client.user_name(), spec, args) {
            return Some(Reply::error(denied.client_error()));
        }
        // As in Redis, the state is only measured while maxmemory is set:
        // a script run with maxmemory 0 sees the last measurement.
        let out_of_memory = self.over_maxmemory(id, now_ms);
        if let Some(out_of_memory) = out_of_memory {
            self.server.out_of_memory = out_of_memory;
        }
        if out_of_memory == Some(true) && self.refused_when_out_of_memory(id, spec, args) {
            return Some(Reply::error(crate::server::memory::OOM_ERROR));
        }
        let queued = |flag: u32| self.queued_any(id, spec, |s| s.has(flag));
        let is_write = writes(&self.server, spec, args) || queued(flags::WRITE);
        if is_write && !self.server.enough_good_replicas() {
            return Some(Reply::error(crate::server::replication::NOREPLICAS_ERROR));
        }
        if self.server.read_only_replica() && is_write {
            return Some(Reply::error(crate::server::replication::READONLY_ERROR));
        }
        let denies_stale =
            !spec.has(flags::STALE) || self.queued_any(id, spec, |s| !s.has(flags::STALE));
        if denies_stale && self.server.serving_no_stale_data() {
            return Some(Reply::error(crate::server::replication::MASTERDOWN_ERROR));
        }
        let client = self.client_mut(id);
        if client.in_pubsub_context() && !spec.has(flags::PUBSUB) {
            return Some(Reply::error(format!(
                "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
                full_name(spec, args)
            )));
        }
        None
    }

    /// Whether `used_memory` is over `maxmemory` with nothing (more) to
    /// evict; `None` without a `maxmemory`. Evicts by `maxmemory-policy`
    /// first (see [`crate::server::eviction`]); while clients are paused
    /// nothing is evicted and nothing refused, as in Redis.
    fn over_maxmemory(&mut self, id: ClientId, now_ms: i64) -> Option<bool> {
        let config = &self.server.config;
        let maxmemory: u64 = config.value(param!("maxmemory")).parse().unwrap_or(0);
        let policy =
            crate::server::eviction::Policy::parse(config.value(param!("maxmemory-policy")));
        self.sync_access_tracking(policy, now_ms);
        if maxmemory == 0 {
            return None;
        }
        if self.server.pause.active() {
            return Some(false);
        }
        let mut ctx = Ctx {
            db: &mut self.db,
            clients: &mut self.clients,
            server: &mut self.server,
            client_id: id,
            now_ms,
            caller: Caller::Client,
            cost_ns: 0,
        };
        let used = crate::commands::memory::used_memory(&mut ctx);
        if used <= maxmemory {
            return Some(false);
        }
        if policy == crate::server::eviction::Policy::NoEviction {
            return Some(true);
        }
        Some(!self.evict(used, maxmemory, policy, now_ms))
    }

    /// `processCommand`'s OOM rule: commands that may grow memory (a
    /// script that declares flags without `allow-oom`, an EXEC with such
    /// commands queued), and anything but EXEC/DISCARD/QUIT/RESET inside
    /// MULTI, since queueing grows memory too.
    fn refused_when_out_of_memory(
        &self,
        id: ClientId,
        spec: &CommandSpec,
        args: &[Vec<u8>],
    ) -> bool {
        let multi = self.clients.get(&id).and_then(|c| c.multi.as_ref());
        let name = spec.name;
        let denyoom = spec.has(flags::DENYOOM)
            || crate::commands::scripting::declares_denyoom(&self.server, name, args)
            || self.queued_any(id, spec, |s| s.has(flags::DENYOOM));
        let queueing = multi.is_some() && !matches!(name, "exec" | "discard" | "quit" | "reset");
        denyoom || queueing
    }

    /// Whether `spec` is EXEC and one of the commands `id` queued is as
    /// `test` asks (Redis's `mstate.cmd_flags` / `cmd_inv_flags`).
    fn queued_any(
        &self,
        id: ClientId,
        spec: &CommandSpec,
        test: impl Fn(&CommandSpec) -> bool,
    ) -> bool {
        if spec.name != "exec" {
            return false;
        }
        let Some(multi) = self.clients.get(&id).and_then(|c| c.multi.as_ref()) else {
            return false;
        };
        multi.queued.iter().any(|q| resolve(q).is_ok_and(&test))
    }

    /// Redis's `rejectCommand`: the error is the reply, and a transaction
    /// in progress is flagged so that EXEC fails. A refused EXEC itself
    /// (`EXEC x`) discards the transaction instead, with an EXECABORT
    /// saying why — even outside MULTI, as in Redis.
    fn reject(&mut self, id: ClientId, args: &[Vec<u8>], reply: Reply, now_ms: i64) -> Outcome {
        let text = match &reply {
            Reply::Error(t) => t.clone(),
            _ => String::new(),
        };
        if let Some(spec) = commands::lookup(&args[0]) {
            self.server.stats.command(spec.name).rejected_calls += 1;
        }
        let is_exec = args[0].eq_ignore_ascii_case(b"exec");
        let reply = if is_exec {
            let reason = text.strip_prefix("ERR ").unwrap_or(&text);
            let abort = Reply::error(format!(
                "EXECABORT Transaction discarded because of: {reason}"
            ));
            let mut ctx = Ctx {
                db: &mut self.db,
                clients: &mut self.clients,
                server: &mut self.server,
                client_id: id,
                now_ms,
                caller: Caller::Client,
                cost_ns: 0,
            };
            discard_transaction(&mut ctx);
            feed_monitors(&mut ctx, args);
            if let Some(line) = self.server.own_monitor_line.take() {
                Reply::Many(vec![abort, line])
            } else {
                abort
            }
        } else {
            if let Some(multi) = self.client_mut(id).multi.as_mut() {
                multi.errored = true;
            }
            reply
        };
        if let Some(t) = first_error(&reply) {
            self.server.stats.count_error(&t);
        }
        Outcome {
            reply,
            cost_us: cost::whole_micros(cost::COMMAND_NS),
            cost_ns: cost::COMMAND_NS,
            close: false,
            blocked: false,
        }
    }
}

/// Whether a command writes, as `processCommand` sees it for READONLY:
/// write commands, and scripts that declare they may write (EVAL with
/// flags in a shebang but not `no-writes`; FCALL of such a function).
fn writes(server: &ServerState, spec: &CommandSpec, args: &[Vec<u8>]) -> bool {
    spec.has(flags::WRITE) || crate::commands::scripting::declares_writes(server, spec.name, args)
}

/// (UN)SUBSCRIBE confirmations are pushes in Redis 7: CLIENT REPLY OFF
/// does not silence them.
fn is_pubsub_confirmation(name: &[u8]) -> bool {
    const NAMES: [&str; 6] = [
        "subscribe",
        "unsubscribe",
        "psubscribe",
        "punsubscribe",
        "ssubscribe",
        "sunsubscribe",
    ];
    NAMES
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n.as_bytes()))
}

/// CLIENT REPLY's effect once a command has run: the reply is dropped
/// while replies are off and for the one command after CLIENT REPLY SKIP —
/// unless that command is CLIENT REPLY ON, which clears the skip before it
/// answers, as in Redis.
fn apply_reply_mode(
    client: &mut ClientState,
    before: crate::client::ReplyMode,
    outcome: &mut Outcome,
) {
    use crate::client::ReplyMode;
    let still_skipping = before == ReplyMode::Skipping && client.reply_mode == ReplyMode::Skipping;
    if client.reply_mode == ReplyMode::Off || still_skipping {
        outcome.reply = Reply::Many(Vec::new());
    }
    if still_skipping {
        client.reply_mode = ReplyMode::On;
    }
    if client.reply_mode == ReplyMode::SkipNext {
        client.reply_mode = ReplyMode::Skipping;
    }
}

fn first_error(reply: &Reply) -> Option<String> {
    match reply {
        Reply::Error(t) => Some(t.clone()),
        Reply::Many(rs) => rs.iter().find_map(first_error),
        _ => None,
    }
}

/// Commands that act at once even inside MULTI, as in Redis's `processCommand`.
fn runs_inside_multi(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "exec" | "discard" | "multi" | "watch" | "quit" | "reset"
    )
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
        // A container that also runs bare (COMMAND) has a handler of its own.
        if spec.arity_ok(args.len()) {
            return Ok(spec);
        }
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

/// The name Redis reports for a resolved command: `get`, or `config|get`
/// for a subcommand (COMMAND INFO, CLIENT LIST's `cmd=`, INFO commandstats).
/// Borrowed from the table for a plain command, so the dispatcher's
/// statistics and CLIENT LIST cost no allocation.
pub fn full_name(spec: &CommandSpec, args: &[Vec<u8>]) -> Cow<'static, str> {
    if args[0].eq_ignore_ascii_case(spec.name.as_bytes()) {
        return Cow::Borrowed(spec.name);
    }
    let typed = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
    Cow::Owned(format!("{typed}|{}", spec.name))
}

/// Runs a resolved command: the path shared by direct calls, EXEC and
/// scripts (Redis's `call()`). Charges the base cost, counts the call, logs
/// it in the slow log if its simulated duration reaches
/// `slowlog-log-slower-than`, and shows it to MONITOR clients (except
/// admin commands and those flagged `SKIP_MONITOR`).
pub fn call(ctx: &mut Ctx, spec: &CommandSpec, args: &[Vec<u8>]) -> Reply {
    let start = ctx.cost_ns;
    ctx.cost_ns += cost::COMMAND_NS;
    if spec.has(flags::WRITE) {
        ctx.cost_ns += cost::WRITE_NS;
    }
    ctx.server.call_depth += 1;
    let notifying = crate::notify::enabled(ctx);
    if notifying {
        ctx.db.start_recording();
    }
    let reply = (spec.handler)(ctx, args);
    let name = full_name(spec, args);
    if notifying {
        let touched = ctx.db.take_recorded();
        crate::notify::after_command(ctx, &name, touched);
    }
    if ctx.server.tracking.is_on() {
        crate::tracking::after_call(ctx, spec, args, &reply);
    }
    ctx.server.call_depth -= 1;
    let duration = cost::whole_micros(ctx.cost_ns - start);

    let stats = &mut ctx.server.stats;
    stats.total_commands_processed += 1;
    let entry = stats.command(&name);
    entry.calls += 1;
    entry.usec += duration;
    if let Reply::Error(text) = &reply {
        entry.failed_calls += 1;
        if !std::mem::take(&mut stats.error_reply_already_counted) {
            stats.count_error(text);
        }
    }

    // The redacted copy of the arguments is made only when the slow log
    // keeps this call or a MONITOR client will see it.
    if !spec.has(flags::SKIP_SLOWLOG) {
        let config = &ctx.server.config;
        let (threshold, max_len) = (config.slowlog_log_slower_than(), config.slowlog_max_len());
        let (addr, client_name) = if ctx.in_script() {
            ("?:0", &None)
        } else {
            let me = ctx
                .clients
                .get(&ctx.client_id)
                .expect("the calling client is registered for the duration of a call");
            (me.addr.as_str(), &me.name)
        };
        ctx.server.slowlog.record(
            threshold,
            max_len,
            duration,
            ctx.now_ms.div_euclid(1000),
            || {
                (
                    redacted(spec, args),
                    addr.to_string(),
                    client_name.clone().unwrap_or_default(),
                )
            },
        );
    }
    if !spec.has(flags::SKIP_MONITOR | flags::ADMIN) && any_monitor(ctx) {
        feed_monitors(ctx, &redacted(spec, args));
    }
    reply
}

/// Whether some connection is a MONITOR client (most often none is).
fn any_monitor(ctx: &Ctx) -> bool {
    ctx.clients.values().any(|c| c.monitor)
}

/// Arguments as SLOWLOG and MONITOR show them: passwords given to AUTH,
/// HELLO ... AUTH and CONFIG SET of sensitive parameters become
/// `(redacted)`, as Redis's `redactClientCommandArgument` does.
fn redacted(spec: &CommandSpec, args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut shown = args.to_vec();
    let hide = |shown: &mut Vec<Vec<u8>>, i: usize| {
        if let Some(a) = shown.get_mut(i) {
            *a = b"(redacted)".to_vec();
        }
    };
    match spec.name {
        "auth" if args.len() <= 3 => {
            for i in 1..args.len() {
                hide(&mut shown, i);
            }
        }
        "hello"
            if args.len() >= 2
                && crate::numbers::parse_i64(&args[1]).is_some_and(|v| v == 2 || v == 3) =>
        {
            let mut j = 2;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if args[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                    hide(&mut shown, j + 1);
                    hide(&mut shown, j + 2);
                    j += 3;
                } else if args[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
        }
        "migrate" => {
            let mut j = 6;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if args[j].eq_ignore_ascii_case(b"auth") && more >= 1 {
                    hide(&mut shown, j + 1);
                    j += 1;
                } else if args[j].eq_ignore_ascii_case(b"auth2") && more >= 2 {
                    hide(&mut shown, j + 1);
                    hide(&mut shown, j + 2);
                    j += 2;
                } else if args[j].eq_ignore_ascii_case(b"keys") {
                    break;
                }
                j += 1;
            }
        }
        "set" if args.len() >= 4 && args[0].eq_ignore_ascii_case(b"config") => {
            for j in (2..args.len() - 1).step_by(2) {
                let name = String::from_utf8_lossy(&args[j]).to_ascii_lowercase();
                if matches!(name.as_str(), "requirepass" | "masterauth" | "masteruser") {
                    hide(&mut shown, j + 1);
                }
            }
        }
        _ => {}
    }
    shown
}

/// Redis's `replicationFeedMonitors`: sends every MONITOR client a status
/// line `+<secs>.<micros> [<db> <addr>] "arg" ...` (`[0 lua]` for a
/// script's calls), arguments quoted as `sdscatrepr` quotes them. The line
/// for a connection's own top-level command goes after that command's reply.
pub fn feed_monitors(ctx: &mut Ctx, args: &[Vec<u8>]) {
    let monitors: Vec<ClientId> = ctx
        .clients
        .values()
        .filter(|c| c.monitor)
        .map(|c| c.id)
        .collect();
    if monitors.is_empty() {
        return;
    }
    let (db, origin) = if ctx.in_script() {
        (ctx.server.active_db, "lua".to_string())
    } else {
        let me = ctx.me();
        (me.db, me.addr.clone())
    };
    let secs = ctx.now_ms.div_euclid(1000);
    let micros = ctx.now_ms.rem_euclid(1000) * 1000;
    let mut line = format!("{secs}.{micros:06} [{db} {origin}]");
    for arg in args {
        line.push(' ');
        line.push_str(&repr(arg));
    }
    let own_top_level = !ctx.in_script() && ctx.server.call_depth == 0;
    for id in monitors {
        let reply = Reply::Status(line.clone());
        if id == ctx.client_id && own_top_level {
            ctx.server.own_monitor_line = Some(reply);
        } else if let Some(c) = ctx.clients.get_mut(&id) {
            c.pushes.push_back(reply);
        }
    }
}

/// A connection's watched keys grouped by database.
pub(crate) fn watched_by_db(
    watched: &BTreeSet<(usize, Vec<u8>)>,
) -> BTreeMap<usize, BTreeSet<Vec<u8>>> {
    let mut by_db: BTreeMap<usize, BTreeSet<Vec<u8>>> = BTreeMap::new();
    for (db, key) in watched {
        by_db.entry(*db).or_default().insert(key.clone());
    }
    by_db
}

/// Redis's `unwatchAllKeys`: drops every watch of the calling connection
/// and its dirty mark.
pub(crate) fn unwatch_all(ctx: &mut Ctx) {
    let watched = std::mem::take(&mut ctx.me().watched);
    let id = ctx.client_id;
    for (db, keys) in watched_by_db(&watched) {
        if let Some(ks) = ctx.db_at(db) {
            ks.unwatch_all(id, &keys);
        }
    }
}

/// Redis's `discardTransaction`: leaves MULTI and unwatches everything.
pub(crate) fn discard_transaction(ctx: &mut Ctx) {
    ctx.me().multi = None;
    unwatch_all(ctx);
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
