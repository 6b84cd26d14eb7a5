//! A Redis node in the world: an engine plus what the simulator adds
//! around it — role, persistence, the clock, and the script it is busy with.
//!
//! Node-side behaviour lives here, one job per module, acting on the node
//! alone through a [`NodeContext`] (the time, and the events and timers it
//! asks for): `persistence` (the disk: fsync, snapshots, CONFIG SET of the
//! persistence settings, what a restart loads), `lifecycle` (crash and
//! restart), `exec` (a task's connection and a command's run on the
//! engine, its script watched), `busy` (a long script: its watcher, the answers past
//! `busy-reply-threshold`, SCRIPT KILL), `expiry` (active expiry on the
//! node's clock) and
//! `replication` (a write's offsets, what a replica accepts and loads, a
//! primary's acknowledgements) and `wait` (WAIT's checks, its waiters, and
//! when and what it answers — replies go out through the context) and
//! `role` (REPLICAOF and READONLY, answered before the engine; a change of
//! role is carried out by the world).
//! Behaviour that involves other actors as it happens — what a command's
//! reply and pushes do, queueing behind a busy node, SHUTDOWN, sending the
//! replication stream, failover — is still written as `impl World` in
//! `crate::world::nodes`; the sentinel's decisions are in
//! `crate::sentinel`.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use lockstep_engine::scripting::RunMode;
use lockstep_engine::{ClientId, Dataset, Engine};

use crate::actor::{ActorId, Roster};
use crate::clock::Clock;
use crate::error::{ErrorKind, ScenarioError};
use crate::scenario::{Fsync, NodeSpec, Persistence};
use crate::trace::{quote, Bytes, KeyState, NodeState, Time};
use lockstep_engine::value::Value;

mod busy;
mod context;
mod exec;
mod expiry;
mod lifecycle;
mod persistence;
mod replication;
mod role;
mod wait;

use busy::{script_mode, SimWatcher};
pub(crate) use context::{Effect, NodeContext, Timer};
use persistence::{on_disk, save_text, startup_settings, ConfigSeen};
pub use persistence::{DiskJob, DiskSettings};
pub(crate) use role::{word, Intercepted};
pub(crate) use wait::WaitCall;

/// Most Lua instructions one script may run on a simulated node, so a
/// runaway script cannot hold the simulator forever: about 0.2 s of
/// simulated time at normal speed, 20 s on a node with `script_speed =
/// 0.01` — which is how a story shows a script blocking a node for seconds
/// (BUSY, SCRIPT KILL) without running billions of instructions.
pub const SCRIPT_INSTRUCTION_CAP: u64 = 100_000_000;

/// A command that arrived while the node was busy, waiting its turn.
#[derive(Clone, Debug)]
pub struct Queued {
    pub msg: u64,
    pub from: ActorId,
    pub task: u32,
    pub args: Vec<Vec<u8>>,
}

/// The long command a node is running (a script, DEBUG SLEEP).
#[derive(Clone, Debug)]
pub struct Running {
    /// Distinguishes this run from a later one, for its completion event.
    pub id: u64,
    pub started: Time,
    pub ends: Time,
    pub msg: u64,
    pub from: ActorId,
    pub task: u32,
    pub args: Vec<Vec<u8>>,
    pub reply: lockstep_engine::Reply,
    /// Set for scripts: which kind, when (µs after start) it first wrote,
    /// and the data as it was before, so a kill can take it back.
    pub script: Option<RunningScript>,
}

#[derive(Clone, Debug)]
pub struct RunningScript {
    pub mode: RunMode,
    pub first_write_us: Option<u64>,
    pub before: Rc<Dataset>,
}

/// A client blocked in WAIT.
#[derive(Clone, Debug)]
pub struct Waiter {
    pub id: u64,
    pub msg: u64,
    pub from: ActorId,
    /// The sender's name, for the node's events.
    pub caller: String,
    pub task: u32,
    pub offset: u64,
    pub replicas: usize,
}

pub struct Node {
    pub spec: NodeSpec,
    pub engine: Engine,
    pub up: bool,
    /// Bumped on every crash and restart: connections and pending
    /// completions from an earlier life are void.
    pub epoch: u64,
    pub clock: Clock,
    /// The primary's index among the world's nodes, for a replica.
    pub replica_of: Option<usize>,
    /// Writes applied: a primary counts its own, a replica the primary's.
    pub offset: u64,
    /// A primary's view of each replica's acknowledged offset.
    pub acked: BTreeMap<usize, u64>,
    /// The persistence in force now.
    pub settings: DiskSettings,
    /// The persistence the node starts (and restarts) with.
    pub startup: DiskSettings,
    /// The engine's persistence configuration when `settings` was last
    /// brought in line with it.
    pub config_seen: ConfigSeen,
    /// The AOF on disk, up to its last fsync.
    pub aof_file: Rc<Dataset>,
    /// The last RDB file written, if any.
    pub rdb_file: Option<Rc<Dataset>>,
    /// Bumped when the node crashes, restarts or changes its settings:
    /// periodic disk work scheduled before is void.
    pub disk_gen: u64,
    pub changes_seen: u64,
    /// Writes not yet in the AOF file / in an RDB snapshot.
    pub aof_dirty: bool,
    pub rdb_dirty: bool,
    pub connections: BTreeMap<(ActorId, u32), ClientId>,
    pub running: Option<Running>,
    pub queue: VecDeque<Queued>,
    pub waiters: Vec<Waiter>,
    /// Generation of the scheduled expiry check, so stale ones are skipped.
    pub expiry_gen: u64,
    /// Connections blocked in BLPOP and friends, with the command to answer.
    pub blocked: BTreeMap<ClientId, Queued>,
    /// Commands that arrived on a blocked connection, in order.
    pub held_behind_block: Vec<(ClientId, Queued)>,
    /// Each connection's last write, as the primary's offset after it
    /// (Redis's per-client `woff`, which WAIT waits for).
    pub write_offsets: BTreeMap<(ActorId, u32), u64>,
    /// The blocked clients' timer: its generation and node-clock time.
    pub block_timer_gen: u64,
    pub block_timer_at: Option<i64>,
}

impl Node {
    /// A node at time 0 with its seed data loaded; an error names the
    /// seed command Redis refused.
    pub fn new(spec: NodeSpec, replica_of: Option<usize>) -> Result<Node, ScenarioError> {
        let clock = Clock::new(spec.clock.offset_ms, spec.clock.drift);
        let mut engine = fresh_engine(&spec, clock.local_ms(0));
        if !spec.data.is_empty() {
            let now = clock.local_ms(0).floor() as i64;
            let conn = engine.connect("seed data", now);
            for (i, line) in spec.data.iter().enumerate() {
                let args = lockstep_engine::inline::split_args(line.as_bytes()).unwrap_or_default();
                let outcome = engine.execute(conn, &args, now);
                if let lockstep_engine::Reply::Error(error) = &outcome.reply {
                    return Err(ScenarioError::new(
                        ErrorKind::Build,
                        format!(
                            "node \"{}\" data line {} (`{line}`): {error}",
                            spec.name,
                            i + 1
                        ),
                    )
                    .actor(&spec.name)
                    .field("data"));
                }
            }
            engine.disconnect(conn);
        }
        let changes_seen = engine.changes();
        let (settings, config_seen) = startup_settings(&spec, &engine);
        let disk = on_disk(&settings, &engine);
        // Seed data counts as on disk: in the RDB file a node with
        // snapshots starts from, and in the AOF.
        let rdb_file = settings.rdb_every.map(|_| Rc::clone(&disk));
        Ok(Node {
            spec,
            engine,
            up: true,
            epoch: 0,
            clock,
            replica_of,
            offset: 0,
            acked: BTreeMap::new(),
            rdb_file,
            aof_file: disk,
            settings,
            startup: settings,
            config_seen,
            disk_gen: 0,
            changes_seen,
            aof_dirty: false,
            rdb_dirty: false,
            connections: BTreeMap::new(),
            running: None,
            queue: VecDeque::new(),
            waiters: Vec::new(),
            expiry_gen: 0,
            blocked: BTreeMap::new(),
            held_behind_block: Vec::new(),
            block_timer_gen: 0,
            block_timer_at: None,
            write_offsets: BTreeMap::new(),
        })
    }

    /// Fills the node's `populate` values from `rng` before the run
    /// starts; like seed data, they count as already on disk.
    pub fn populate(&mut self, rng: &mut rand_chacha::ChaCha8Rng) -> Result<(), ScenarioError> {
        if self.spec.populate.is_empty() {
            return Ok(());
        }
        let now = self.now_ms(0);
        crate::populate::populate(&mut self.engine, &self.spec.populate, now, rng).map_err(
            |e| {
                ScenarioError::new(ErrorKind::Build, format!("node \"{}\" {e}", self.spec.name))
                    .actor(&self.spec.name)
                    .field("populate")
            },
        )?;
        let disk = on_disk(&self.settings, &self.engine);
        self.rdb_file = self.settings.rdb_every.map(|_| Rc::clone(&disk));
        self.aof_file = disk;
        self.changes_seen = self.engine.changes();
        Ok(())
    }

    /// The node's clock in whole ms, as the engine takes it.
    pub fn now_ms(&self, t: Time) -> i64 {
        self.clock.local_ms(t).floor() as i64
    }

    /// The engine connection for a client task, opened on first use.
    pub fn connection(&mut self, key: (ActorId, u32), addr: &str, t: Time) -> ClientId {
        if let Some(id) = self.connections.get(&key) {
            return *id;
        }
        let now = self.now_ms(t);
        let id = self.engine.connect(addr, now);
        self.connections.insert(key, id);
        id
    }

    pub fn role_text(&self, roster: &Roster) -> String {
        match self.replica_of {
            None => "primary".into(),
            Some(p) => format!("replica of {}", roster.name(ActorId::node(p))),
        }
    }

    /// Database 0 for the trace.
    pub fn state(&self, t: Time, roster: &Roster) -> NodeState {
        let now = self.now_ms(t);
        let keys = if self.up {
            self.engine
                .keyspace()
                .iter()
                .map(|(key, entry)| KeyState {
                    key: String::from_utf8_lossy(key).into_owned(),
                    key_bytes: std::str::from_utf8(key)
                        .is_err()
                        .then(|| Bytes(key.to_vec())),
                    kind: entry.value.type_name().to_string(),
                    value: value_text(&entry.value),
                    bytes: match &entry.value {
                        Value::String(bytes) => Some(Bytes(bytes.clone())),
                        _ => None,
                    },
                    ttl_ms: entry.expire_at_ms.map(|at| at - now),
                    memory: self
                        .spec
                        .memory_usage
                        .then(|| lockstep_engine::server::memory::key_usage(key, entry)),
                })
                .collect()
        } else {
            Vec::new()
        };
        NodeState {
            up: self.up,
            role: self.role_text(roster),
            keys,
            clock_rate: self.clock.rate(),
        }
    }
}

fn fresh_engine(spec: &NodeSpec, local_ms: f64) -> Engine {
    let mut engine = Engine::new(local_ms.floor() as i64);
    // The simulator drives time itself; DEBUG SLEEP and friends are part
    // of lessons about a blocked node.
    let _ = engine
        .config_mut()
        .set_startup("enable-debug-command", "yes");
    // The scenario's persistence, so CONFIG GET tells the truth and
    // CONFIG SET has something to change.
    let appendonly = if spec.persistence == Persistence::Aof {
        "yes"
    } else {
        "no"
    };
    let fsync = match spec.appendfsync {
        Fsync::Always => "always",
        Fsync::Everysec => "everysec",
        Fsync::No => "no",
    };
    let config = engine.config_mut();
    let _ = config.set_startup("appendonly", appendonly);
    let _ = config.set_startup("appendfsync", fsync);
    let _ = config.set_startup("save", &save_text(spec));
    for (name, value) in &spec.config {
        let _ = engine.config_mut().set_startup(name, value);
    }
    engine.set_script_instruction_limit(Some(SCRIPT_INSTRUCTION_CAP));
    engine.set_script_speed(spec.script_speed());
    engine
}

/// A value in one line, abbreviated for the timeline.
fn value_text(value: &Value) -> String {
    const SHOWN: usize = 8;
    let list = |items: Vec<String>, total: usize, open: &str, close: &str| {
        let more = if total > SHOWN {
            format!(", …{} more", total - SHOWN)
        } else {
            String::new()
        };
        format!("{open}{}{more}{close}", items.join(", "))
    };
    match value {
        Value::String(bytes) => quote(bytes),
        Value::List(items) => list(
            items.iter().take(SHOWN).map(|i| quote(i)).collect(),
            items.len(),
            "[",
            "]",
        ),
        Value::Hash(map) => list(
            map.iter()
                .take(SHOWN)
                .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
                .collect(),
            map.len(),
            "{",
            "}",
        ),
        Value::Set(set) => list(
            set.iter().take(SHOWN).map(|m| quote(&m)).collect(),
            set.len(),
            "{",
            "}",
        ),
        Value::ZSet(zset) => list(
            zset.iter()
                .take(SHOWN)
                .map(|(m, s)| format!("{}: {s}", quote(m)))
                .collect(),
            zset.len(),
            "[",
            "]",
        ),
        Value::Stream(stream) => format!("stream of {} entries", stream.len()),
    }
}
