//! Node-wide state: configuration, statistics, the slow log, and the
//! databases not selected by the running command.

pub mod acl;
pub mod config;
pub mod eviction;
pub mod memory;
pub mod pause;
pub mod replication;
pub mod slowlog;
pub mod stats;

use config::{param, Config, Param};
use slowlog::SlowLog;
use stats::Stats;

use crate::keyspace::Keyspace;

/// Number of databases (`databases 16`), SELECT 0..=15.
pub const DATABASES: usize = 16;

#[derive(Clone, Debug)]
pub struct ServerState {
    pub config: Config,
    pub stats: Stats,
    pub slowlog: SlowLog,
    pub scripting: crate::scripting::Scripting,
    /// When the node started (INFO's uptime), in the caller's clock.
    pub started_ms: i64,
    /// Next id for CLIENT ID (never reused).
    pub next_client_id: u64,
    /// Every database but the active one, by index. The active database
    /// lives in `Ctx::db` while a command runs, and its slot here holds an
    /// empty placeholder; `Ctx::select_db` swaps them. Between commands
    /// database 0 is the active one.
    pub parked_dbs: Vec<Keyspace>,
    /// Index of the database currently in `Ctx::db`.
    pub active_db: usize,
    /// How deep `engine::call` is nested (EXEC and scripts call commands
    /// from inside a command); 0 while no command runs.
    pub call_depth: u32,
    /// The MONITOR line of the running top-level command, if its own
    /// connection is a monitor: Redis writes it after the command's reply.
    pub own_monitor_line: Option<crate::reply::Reply>,
    /// DEBUG SET-ACTIVE-EXPIRE: when false, `Engine::active_expire` does
    /// nothing and keys only expire when accessed.
    pub active_expire_enabled: bool,
    /// The highest `used_memory` estimate seen (INFO's `used_memory_peak`).
    pub memory_peak: u64,
    /// The primary this node replicates, if it is a replica.
    pub primary: Option<replication::Primary>,
    /// When the data was last saved (SAVE, BGSAVE; start-up), for LASTSAVE.
    pub last_save_ms: i64,
    /// Clients blocked on keys (BLPOP, XREAD BLOCK, ...).
    pub blocking: crate::blocking::Blocking,
    /// ACL users (ACL SETUSER, AUTH user password).
    pub acl: acl::Acl,
    /// Whether memory was over `maxmemory` when the running top-level
    /// command arrived (Redis's `pre_command_oom_state`): scripts refuse
    /// their first write by it.
    pub out_of_memory: bool,
    /// DEBUG SET-DISABLE-DENY-SCRIPTS: scripts may call `noscript` commands.
    pub scripts_call_noscript: bool,
    /// Connections CLIENT KILL closed, for the host to drop
    /// ([`crate::Engine::take_killed`]).
    pub killed_clients: Vec<crate::client::ClientId>,
    /// CLIENT PAUSE in force, if any.
    pub pause: pause::Pause,
    /// CLIENT TRACKING: who cached what.
    pub tracking: crate::tracking::Tracking,
    /// Keys' access records are kept (an LRU or LFU maxmemory-policy).
    pub access_tracked: bool,
    /// The random eviction policies' SplitMix64 state.
    pub eviction_draws: u64,
    /// The database the random policies visited last (Redis's `next_db`).
    pub next_eviction_db: usize,
    /// SHUTDOWN was accepted: a host that can end its process does
    /// ([`crate::Engine::take_shutdown`]).
    pub shutdown_asked: bool,
}

impl ServerState {
    /// Makes database `index` the one in `active` (the engine's `db`, or
    /// `Ctx::db`), parking the one there now. Returns false if `index` is
    /// out of range.
    pub fn activate(&mut self, active: &mut Keyspace, index: usize) -> bool {
        if index >= self.parked_dbs.len() {
            return false;
        }
        if index != self.active_db {
            std::mem::swap(active, &mut self.parked_dbs[self.active_db]);
            std::mem::swap(active, &mut self.parked_dbs[index]);
            self.active_db = index;
        }
        true
    }
}

impl ServerState {
    /// Whether a script may not grow memory: `maxmemory` is set now and
    /// memory was over it when the top-level command arrived.
    pub fn script_out_of_memory(&self) -> bool {
        self.out_of_memory && self.config.value(param!("maxmemory")) != "0"
    }

    /// Redis's `checkGoodReplicasStatus`: a primary with
    /// `min-replicas-to-write` (and `min-replicas-max-lag`) set needs that
    /// many good replicas to accept writes. The engine knows of no
    /// replicas of its own (the simulator copies data between nodes
    /// itself), so a primary asking for any refuses writes.
    pub fn enough_good_replicas(&self) -> bool {
        let set = |param: Param| self.config.value(param) != "0";
        self.primary.is_some()
            || !set(param!("min-replicas-max-lag"))
            || !set(param!("min-replicas-to-write"))
    }

    /// A replica whose link to its primary is down and that is told not to
    /// serve stale data (`replica-serve-stale-data no`).
    pub fn serving_no_stale_data(&self) -> bool {
        self.primary.as_ref().is_some_and(|p| !p.link_up)
            && self.config.value(param!("replica-serve-stale-data")) == "no"
    }

    /// Whether writes are refused: a replica with `replica-read-only yes`.
    pub fn read_only_replica(&self) -> bool {
        self.primary.is_some() && self.config.value(param!("replica-read-only")) != "no"
    }
}

impl Default for ServerState {
    fn default() -> Self {
        ServerState {
            config: Config::default(),
            stats: Stats::default(),
            slowlog: SlowLog::default(),
            scripting: crate::scripting::Scripting::default(),
            started_ms: 0,
            next_client_id: crate::engine::FIRST_CLIENT_ID,
            parked_dbs: vec![Keyspace::default(); DATABASES],
            active_db: 0,
            call_depth: 0,
            own_monitor_line: None,
            active_expire_enabled: true,
            memory_peak: 0,
            primary: None,
            last_save_ms: 0,
            blocking: crate::blocking::Blocking::default(),
            acl: acl::Acl::default(),
            out_of_memory: false,
            scripts_call_noscript: false,
            killed_clients: Vec::new(),
            pause: pause::Pause::default(),
            tracking: crate::tracking::Tracking::default(),
            access_tracked: false,
            eviction_draws: 0,
            next_eviction_db: 0,
            shutdown_asked: false,
        }
    }
}
