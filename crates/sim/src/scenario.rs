//! The scenario file: who is in the world, how the network behaves, which
//! faults happen and which invariants must hold. Lessons embed it as TOML.
//!
//! Every field a learner might leave out has a default that describes the
//! calm case (one primary, 1 ms links, no loss, no faults), so the smallest
//! scenario is a node and a client. The format is documented field by field
//! in `crates/sim/SCENARIO.md`; [`Scenario::parse`] turns a file into a
//! checked scenario or an error that names the field at fault.

use serde::{Deserialize, Serialize};

pub use crate::fault::FaultKind;

/// A whole scenario.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown above the timeline.
    #[serde(default)]
    pub title: String,
    /// The seed used when none is given on the command line.
    #[serde(default)]
    pub seed: u64,
    /// The simulation stops at this global time even if clients still run.
    #[serde(default = "default_duration_ms")]
    pub duration_ms: u64,
    #[serde(default)]
    pub network: NetworkSpec,
    #[serde(default, rename = "node")]
    pub nodes: Vec<NodeSpec>,
    #[serde(default)]
    pub sentinel: Option<SentinelSpec>,
    #[serde(default, rename = "client")]
    pub clients: Vec<ClientSpec>,
    #[serde(default, rename = "resource")]
    pub resources: Vec<ResourceSpec>,
    #[serde(default, rename = "database")]
    pub databases: Vec<DatabaseSpec>,
    #[serde(default, rename = "traffic")]
    pub traffic: Vec<TrafficSpec>,
    /// Replicated lock services (`[[consensus]]`), etcd- or ZooKeeper-like.
    #[serde(default, rename = "consensus")]
    pub consensus: Vec<ConsensusSpec>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultSpec>,
    /// Commands an operator runs on nodes at given times (`SCRIPT FLUSH`,
    /// `CONFIG SET appendfsync always`, ...).
    #[serde(default, rename = "operator")]
    pub operators: Vec<OperatorSpec>,
    /// New versions of client programs, rolled out at given times.
    #[serde(default, rename = "deploy")]
    pub deploys: Vec<DeploySpec>,
    #[serde(default, rename = "invariant")]
    pub invariants: Vec<InvariantSpec>,
    /// Measurements that must lie within bounds when the run ends.
    #[serde(default, rename = "metric")]
    pub metrics: Vec<crate::metric::MetricSpec>,
    /// What "the work gets done" means, for grading fixes.
    #[serde(default)]
    pub liveness: Option<LivenessSpec>,
    /// The explorer's default budget for this scenario.
    #[serde(default)]
    pub explore: Option<crate::budget::Budget>,
    /// The verdicts the scenario gives with its own seed, by invariant
    /// (as the verdict names it, e.g. `mutual_exclusion(report)`, or
    /// `liveness`): what a story sets out to show, checked by the story
    /// test. Runs ignore it.
    #[serde(default)]
    pub expect: std::collections::BTreeMap<String, Expected>,
    /// Shared Lua libraries by name (`lock`, `redlock`, ...): source code a
    /// client program can `require`. Lessons fill this from `lessons/lib`.
    #[serde(default)]
    pub libraries: std::collections::BTreeMap<String, String>,
}

/// An expected verdict.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    Held,
    Violated,
}

fn default_duration_ms() -> u64 {
    60_000
}

/// A latency: one fixed value (`latency_ms = 2`) or a range drawn from the
/// seeded RNG for each message (`latency_ms = [1, 5]`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Latency {
    Fixed(f64),
    Range([f64; 2]),
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Fixed(1.0)
    }
}

/// What happens to messages already on the wire when a partition cuts
/// their link.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InFlight {
    /// Lost, as packets on a cut link are.
    #[default]
    Drop,
    /// Delivered once the partition heals (a TCP retransmission).
    Delay,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// One-way latency of every link without an override.
    #[serde(default)]
    pub latency_ms: Latency,
    /// Probability that a message is lost, 0.0 to 1.0.
    #[serde(default)]
    pub loss: f64,
    #[serde(default)]
    pub in_flight_on_partition: InFlight,
    /// Overrides for particular links.
    #[serde(default, rename = "link")]
    pub links: Vec<LinkSpec>,
}

/// Latency and loss between two actors, both directions.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub between: [String; 2],
    #[serde(default)]
    pub latency_ms: Option<Latency>,
    #[serde(default)]
    pub loss: Option<f64>,
}

/// How a node keeps its data across a crash.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Persistence {
    /// Nothing survives a restart.
    #[default]
    None,
    /// A snapshot every `rdb_every_ms` if anything changed; a restart loads
    /// the last one.
    Rdb,
    /// Every write is appended; what survives depends on `appendfsync`.
    Aof,
}

/// Redis's `appendfsync`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Fsync {
    /// Every write is on disk before the reply: nothing acknowledged is lost.
    Always,
    /// Once a second: up to a second of writes can be lost.
    #[default]
    Everysec,
    /// The OS flushes when it likes (every 30 s here).
    No,
}

/// A node's clock relative to true time.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClockSpec {
    /// Where the clock starts, in ms (local time at global time 0).
    #[serde(default)]
    pub offset_ms: f64,
    /// How fast it runs, relative: 0.01 gains 10 ms per second.
    #[serde(default)]
    pub drift: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    pub name: String,
    /// The primary this node replicates; absent for a primary.
    #[serde(default)]
    pub replica_of: Option<String>,
    /// How long writes take to reach this replica, on top of the network.
    #[serde(default)]
    pub replication_lag_ms: f64,
    #[serde(default)]
    pub persistence: Persistence,
    #[serde(default)]
    pub appendfsync: Fsync,
    #[serde(default = "default_rdb_every_ms")]
    pub rdb_every_ms: u64,
    #[serde(default)]
    pub clock: ClockSpec,
    /// Start-up configuration, as in redis.conf (`busy-reply-threshold`).
    #[serde(default)]
    pub config: std::collections::BTreeMap<String, String>,
    /// Data the node holds at the start, as commands in redis-cli syntax
    /// (`"SET acct:a 100"`), run before anything else happens. It counts
    /// as already on disk and already replicated.
    #[serde(default)]
    pub data: Vec<String>,
    /// Big generated values (`{ key = "board", type = "zset", members =
    /// 1000000, score = "random 0..10000" }`), filled after `data` from
    /// the run's seed; they count as on disk and replicated like `data`.
    #[serde(default)]
    pub populate: Vec<crate::populate::PopulateSpec>,
    /// Record each key's MEMORY USAGE in the trace's state snapshots, for
    /// the `memory` metric. Off by default: it costs a size computation
    /// per key per snapshot, and traces without it stay as they were.
    #[serde(default)]
    pub memory_usage: bool,
    /// How fast the node runs scripts, as a fraction of normal speed
    /// (`0.01`: a hundred times slower), for a story that needs a script
    /// to block the node for seconds without running billions of
    /// instructions. Absent: normal speed, calibrated against Redis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub script_speed: Option<f64>,
}

impl NodeSpec {
    /// The node's script speed; a bad value is refused by validation.
    pub fn script_speed(&self) -> lockstep_engine::cost::ScriptSpeed {
        self.script_speed
            .and_then(|s| lockstep_engine::cost::ScriptSpeed::new(s).ok())
            .unwrap_or_default()
    }
}

fn default_rdb_every_ms() -> u64 {
    60_000
}

/// Sentinel-style automatic failover of one primary.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SentinelSpec {
    /// The primary being watched; clients whose default node is this
    /// primary follow the promotion.
    pub primary: String,
    /// How long the primary must be unreachable before a failover.
    #[serde(default = "default_down_after_ms")]
    pub down_after_ms: u64,
}

fn default_down_after_ms() -> u64 {
    5_000
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    pub name: String,
    /// The node `redis.call` talks to; defaults to the first node.
    #[serde(default)]
    pub node: Option<String>,
    /// When the program starts, global time.
    #[serde(default)]
    pub start_ms: f64,
    /// How long a call waits for its reply before failing with a timeout.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: f64,
    /// Lua source of the program.
    #[serde(default)]
    pub program: Option<String>,
    /// Or the name of a library whose `main(params)` is the program.
    #[serde(default)]
    pub library: Option<String>,
    /// Passed to the program as the global `params` (and to `main`).
    #[serde(default)]
    pub params: toml::Table,
    #[serde(default)]
    pub clock: ClockSpec,
}

fn default_timeout_ms() -> f64 {
    1_000.0
}

/// An external service that clients write to: a payment service, a seat
/// database. It is where correctness shows: the lock is an efficiency
/// layer, the resource's checks are the correctness layer.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ResourceSpec {
    pub name: String,
    /// Reject a write whose fencing token is lower than the highest seen.
    #[serde(default)]
    pub fencing: bool,
    /// Reject a second write with the same id (a unique constraint).
    #[serde(default)]
    pub unique: bool,
}

/// A database (`[[database]]`): rows with versions, a query counter and a
/// latency that grows with its load (`src/database.rs` has the model).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    pub name: String,
    /// How long one query holds a connection.
    #[serde(default = "default_query_ms")]
    pub query_ms: f64,
    /// Queries served at the same time; the rest wait in line.
    #[serde(default = "default_connections")]
    pub connections: u32,
    /// The rows at the start, key = value (each at version 1).
    #[serde(default)]
    pub rows: std::collections::BTreeMap<String, String>,
}

fn default_query_ms() -> f64 {
    5.0
}

fn default_connections() -> u32 {
    10
}

/// A consensus service (`[[consensus]]`): `members` actors named
/// `<name>-1` … `<name>-N` with a leader, majority commit, leases and a
/// revision (`src/consensus.rs` has the model and its assumptions).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConsensusSpec {
    pub name: String,
    /// How many members (3 or 5 as a rule; a majority must agree).
    #[serde(default = "default_members")]
    pub members: u32,
    /// How long a member takes to write an entry before acknowledging it.
    #[serde(default = "default_consensus_latency_ms")]
    pub latency_ms: f64,
    /// How long the members wait without a leader that reaches a majority
    /// before electing a new one.
    #[serde(default = "default_election_timeout_ms")]
    pub election_timeout_ms: f64,
}

impl ConsensusSpec {
    /// The members' actor names, in order: `etcd-1`, `etcd-2`, ...
    pub fn member_names(&self) -> Vec<String> {
        (1..=self.members)
            .map(|i| format!("{}-{i}", self.name))
            .collect()
    }
}

fn default_members() -> u32 {
    3
}

fn default_consensus_latency_ms() -> f64 {
    1.0
}

fn default_election_timeout_ms() -> f64 {
    1_000.0
}

/// Users sending requests to app-server clients (`[[traffic]]`); the
/// generator is in `src/traffic.rs`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrafficSpec {
    /// The generator's actor name: requests leave from it.
    pub name: String,
    /// The clients that serve the requests (`next_request`, `serve`).
    pub to: Vec<String>,
    /// How many users; each request is from one of them.
    #[serde(default = "default_users")]
    pub users: u64,
    #[serde(default)]
    pub routing: Routing,
    #[serde(default)]
    pub pattern: Pattern,
    /// Requests per second, all users together (`steady`, `poisson`).
    #[serde(default = "default_rate")]
    pub rate_per_s: f64,
    /// Requests per burst (`burst`).
    #[serde(default = "default_burst")]
    pub burst: u64,
    /// Time between bursts (`burst`).
    #[serde(default = "default_every_ms")]
    pub every_ms: f64,
    #[serde(default)]
    pub start_ms: f64,
    /// How long it sends.
    #[serde(default = "default_traffic_ms")]
    pub duration_ms: f64,
}

/// Which server a request goes to.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    /// Each request to the next server in turn.
    #[default]
    RoundRobin,
    /// A user always reaches the same server (a session).
    Sticky,
}

/// When requests leave.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// Evenly spaced at `rate_per_s`, users in turn.
    #[default]
    Steady,
    /// `burst` requests at once every `every_ms`, users in turn.
    Burst,
    /// Exponential gaps with mean 1 / `rate_per_s`, each from a random user.
    Poisson,
}

/// Requests one generator may send in a run: enough for any lesson, few
/// enough that a mistyped rate cannot exhaust the page's memory.
pub const MAX_REQUESTS: u64 = 100_000;

fn default_users() -> u64 {
    1
}

fn default_rate() -> f64 {
    10.0
}

fn default_burst() -> u64 {
    10
}

fn default_every_ms() -> f64 {
    1_000.0
}

fn default_traffic_ms() -> f64 {
    1_000.0
}

/// The name of the actor that runs `[[operator]]` commands.
pub const OPERATOR: &str = "operator";

/// A command an operator runs on a node at a given time, from an admin
/// connection on the node's own host: the network (latency, loss,
/// partitions) does not touch it. `src/world/operators.rs` runs it.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OperatorSpec {
    /// Global time at which the operator sends it.
    #[serde(default)]
    pub at_ms: f64,
    pub node: String,
    /// In redis-cli syntax: `SCRIPT FLUSH`, `CONFIG SET appendfsync always`.
    pub command: String,
}

/// A new version of a client's program (`[[deploy]]`): at `at_ms` the
/// process is stopped at its next clean point and started again with
/// what this changes (`src/world/deploys.rs` says when that is).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeploySpec {
    /// Global time from which the new version is due.
    #[serde(default)]
    pub at_ms: f64,
    pub client: String,
    /// The new program's Lua source.
    #[serde(default)]
    pub program: Option<String>,
    /// Or: the new program is this library's `main(params)`.
    #[serde(default)]
    pub library: Option<String>,
    /// New `params` (absent: the old ones).
    #[serde(default)]
    pub params: Option<toml::Table>,
    /// New versions of libraries the program `require`s, by name: the
    /// release ships its own copy of them.
    #[serde(default)]
    pub libraries: std::collections::BTreeMap<String, String>,
}

/// A fault: what happens, to whom, and when. (Unknown fields are caught
/// by the kind's own list: serde's `flatten` passes them on to it.)
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct FaultSpec {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Global time at which it happens (with `after`: delay after the trigger).
    #[serde(default)]
    pub at_ms: f64,
    /// Or: when this happens first.
    #[serde(default)]
    pub after: Option<Trigger>,
}

/// "After client-1 acquires": the first time `actor` does `event`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub actor: String,
    pub event: TriggerEvent,
    /// For `enter`/`leave`: only this resource. For `log`: text the line
    /// contains. For `reply`: text the reply contains.
    #[serde(default)]
    pub matching: Option<String>,
    /// Trigger on the n-th occurrence instead of the first.
    #[serde(default = "one")]
    pub nth: u32,
}

fn one() -> u32 {
    1
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum TriggerEvent {
    /// The actor entered a critical section (`enter`).
    Enter,
    /// The actor left one (`leave`).
    Leave,
    /// The actor received a reply.
    Reply,
    /// The actor sent a command.
    Send,
    /// The actor logged a line.
    Log,
    /// A pub/sub message reached the actor.
    Message,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum InvariantSpec {
    /// At most one process inside the critical section `name` at a time.
    MutualExclusion { name: String },
    /// The resource never accepts a write from a holder older than one
    /// whose write it already accepted (a paused client's late write).
    NoStaleWrites { resource: String },
    /// The resource never accepts two writes with the same id.
    NoDuplicates { resource: String },
    /// At most `limit` entries into `name` in any window of `window_ms`.
    Rate {
        name: String,
        limit: u32,
        window_ms: f64,
    },
    /// The integer values of `keys` on `node` always add up to `total`.
    SumConserved {
        node: String,
        keys: Vec<String>,
        total: i64,
    },
    /// A Lua expression over the world that must stay true.
    Lua { name: String, check: String },
    /// When the run ends (the world settled): `key` on `node` holds `value`.
    KeyEquals {
        node: String,
        key: String,
        value: String,
    },
    /// When the run ends: every key cached on `node` equals its row in
    /// `database` (key `cache_prefix` + X caches row `row_prefix` + X; a
    /// key that is not cached is fine).
    CacheMatchesDatabase {
        node: String,
        database: String,
        #[serde(default)]
        cache_prefix: String,
        #[serde(default)]
        row_prefix: String,
    },
    /// When the run ends: every replica of `primary` holds what it holds.
    ReplicasMatch { primary: String },
    /// When the run ends: every `SET` a client got `OK` for is still on
    /// `node` (or on the replica promoted in its place).
    AcknowledgedWrites { node: String },
    /// When the run ends: every message whose `PUBLISH` to `channel` was
    /// answered with at least one receiver was taken by `subscriber`'s
    /// program — what a worker that treats pub/sub as a queue counts on.
    AcknowledgedMessages { subscriber: String, channel: String },
    /// Always: `node` never disagrees with `of` (a node, or a database it
    /// caches) about a key for longer than `ms`.
    StaleAtMost {
        node: String,
        of: String,
        ms: f64,
        #[serde(default)]
        cache_prefix: String,
        #[serde(default)]
        row_prefix: String,
    },
}

/// "The work gets done": used when grading a fix, so that a program that
/// never does anything cannot pass.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LivenessSpec {
    /// These clients must finish their program without an error.
    #[serde(default)]
    pub finished: Vec<String>,
    /// This many writes must be accepted by the named resource.
    #[serde(default)]
    pub accepted_writes: Option<(String, u32)>,
    /// Entries into a critical section, at least this many in total.
    #[serde(default)]
    pub entries: Option<(String, u32)>,
}

pub use crate::error::{ErrorKind, ScenarioError};

impl Scenario {
    /// Reads TOML and checks that every name refers to something.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with_libraries(text, &std::collections::BTreeMap::new())
    }

    /// Like [`Scenario::parse`], with shared libraries (`lessons/lib`) that
    /// programs can `require`; the scenario's own libraries of the same
    /// name win.
    pub fn parse_with_libraries(
        text: &str,
        shared: &std::collections::BTreeMap<String, String>,
    ) -> Result<Scenario, ScenarioError> {
        let mut scenario: Scenario = toml::from_str(text)
            .map_err(|e| ScenarioError::new(ErrorKind::Toml, format!("{e}").trim().to_string()))?;
        for (name, source) in shared {
            scenario
                .libraries
                .entry(name.clone())
                .or_insert_with(|| source.clone());
        }
        scenario.validate()?;
        Ok(scenario)
    }

    /// Every actor's name: nodes, clients, resources, databases, traffic
    /// generators, consensus members, in that order.
    pub fn actor_names(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|n| n.name.clone())
            .chain(self.clients.iter().map(|c| c.name.clone()))
            .chain(self.resources.iter().map(|r| r.name.clone()))
            .chain(self.databases.iter().map(|d| d.name.clone()))
            .chain(self.traffic.iter().map(|t| t.name.clone()))
            .chain(self.member_names())
            .collect()
    }

    /// Every consensus member's name, service by service.
    pub fn member_names(&self) -> Vec<String> {
        self.consensus
            .iter()
            .flat_map(ConsensusSpec::member_names)
            .collect()
    }

    /// The checks that TOML's types cannot express.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        use ErrorKind::{BadValue, Conflict, Missing, UnknownName};
        let fail = |kind: ErrorKind, m: String| ScenarioError::new(kind, m);
        if self.nodes.is_empty() {
            return Err(fail(
                Missing,
                "the scenario has no [[node]]: add at least one Redis node".into(),
            )
            .field("node"));
        }
        let names = self.actor_names();
        for (i, name) in names.iter().enumerate() {
            if name.is_empty() {
                return Err(fail(BadValue, "an actor has an empty name".into()).field("name"));
            }
            if names[..i].contains(name) {
                return Err(fail(
                    Conflict,
                    format!("two actors are named \"{name}\": names must be unique"),
                )
                .actor(name)
                .field("name"));
            }
        }
        let is_node = |n: &str| self.nodes.iter().any(|x| x.name == n);
        let is_client = |n: &str| self.clients.iter().any(|x| x.name == n);
        let is_resource = |n: &str| self.resources.iter().any(|x| x.name == n);
        let known = |n: &str| names.iter().any(|x| x == n);
        let node_list = || {
            self.nodes
                .iter()
                .map(|n| n.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        for node in &self.nodes {
            let what = format!("node \"{}\"", node.name);
            let at = |field| At::actor(&what, &node.name, field);
            if let Some(primary) = &node.replica_of {
                if !is_node(primary) || primary == &node.name {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "{what}: replica_of = \"{primary}\" is not another node (nodes: {})",
                            node_list()
                        ),
                    )
                    .actor(&node.name)
                    .field("replica_of"));
                }
            }
            check_non_negative(at("replication_lag_ms"), node.replication_lag_ms)?;
            if let Some(speed) = node.script_speed {
                if let Err(reason) = lockstep_engine::cost::ScriptSpeed::new(speed) {
                    return Err(fail(BadValue, format!("{what}: {reason}"))
                        .actor(&node.name)
                        .field("script_speed"));
                }
            }
            for (i, line) in node.data.iter().enumerate() {
                match lockstep_engine::inline::split_args(line.as_bytes()) {
                    Ok(words) if !words.is_empty() => {}
                    _ => {
                        return Err(fail(
                            BadValue,
                            format!(
                            "{what} data line {}: `{line}` is not a command (unbalanced quotes, or empty)",
                            i + 1
                        ),
                        )
                        .actor(&node.name)
                        .field("data"))
                    }
                }
            }
        }
        if let Some(sentinel) = &self.sentinel {
            if !is_node(&sentinel.primary) {
                return Err(fail(
                    UnknownName,
                    format!(
                        "[sentinel] primary = \"{}\" is not a node (nodes: {})",
                        sentinel.primary,
                        node_list()
                    ),
                )
                .field("sentinel.primary"));
            }
        }
        for client in &self.clients {
            let what = format!("client \"{}\"", client.name);
            let at = |field| At::actor(&what, &client.name, field);
            let client_fail = |kind, m: String| fail(kind, m).actor(&client.name);
            if let Some(node) = &client.node {
                if !is_node(node) {
                    return Err(client_fail(
                        UnknownName,
                        format!(
                            "{what}: node = \"{node}\" is not a node (nodes: {})",
                            node_list()
                        ),
                    )
                    .field("node"));
                }
            }
            match (&client.program, &client.library) {
                (None, None) => {
                    return Err(client_fail(
                        Missing,
                        format!("{what} has neither a program nor a library"),
                    )
                    .field("program"))
                }
                (Some(_), Some(_)) => {
                    return Err(client_fail(
                        Conflict,
                        format!("{what} has both a program and a library: give one"),
                    )
                    .field("library"))
                }
                (None, Some(lib)) if !self.libraries.contains_key(lib) => {
                    let have: Vec<&str> = self.libraries.keys().map(String::as_str).collect();
                    return Err(client_fail(
                        UnknownName,
                        format!(
                            "{what}: library \"{lib}\" is not known (libraries: {})",
                            if have.is_empty() {
                                "none".to_string()
                            } else {
                                have.join(", ")
                            }
                        ),
                    )
                    .field("library"));
                }
                _ => {}
            }
            check_non_negative(at("start_ms"), client.start_ms)?;
            if client.timeout_ms.is_nan() || client.timeout_ms <= 0.0 {
                return Err(
                    client_fail(BadValue, format!("{what}: timeout_ms must be above 0"))
                        .field("timeout_ms"),
                );
            }
        }
        for database in &self.databases {
            let what = format!("database \"{}\"", database.name);
            check_non_negative(
                At::actor(&what, &database.name, "query_ms"),
                database.query_ms,
            )?;
            if database.connections == 0 {
                return Err(
                    fail(BadValue, format!("{what}: connections must be at least 1"))
                        .actor(&database.name)
                        .field("connections"),
                );
            }
        }
        for service in &self.consensus {
            let what = format!("consensus \"{}\"", service.name);
            let service_fail =
                |m: String, field: &str| fail(BadValue, m).actor(&service.name).field(field);
            if service.members == 0 || service.members > 9 {
                return Err(service_fail(
                    format!("{what}: members must be between 1 and 9"),
                    "members",
                ));
            }
            check_non_negative(
                At::actor(&what, &service.name, "latency_ms"),
                service.latency_ms,
            )?;
            if service.election_timeout_ms.is_nan() || service.election_timeout_ms <= 0.0 {
                return Err(service_fail(
                    format!("{what}: election_timeout_ms must be above 0"),
                    "election_timeout_ms",
                ));
            }
        }
        for traffic in &self.traffic {
            let what = format!("traffic \"{}\"", traffic.name);
            let at = |field| At::actor(&what, &traffic.name, field);
            let traffic_fail =
                |kind, m: String, field: &str| fail(kind, m).actor(&traffic.name).field(field);
            if traffic.to.is_empty() {
                return Err(traffic_fail(
                    Missing,
                    format!("{what}: `to` names no client to serve it"),
                    "to",
                ));
            }
            for client in &traffic.to {
                if !is_client(client) {
                    return Err(traffic_fail(
                        UnknownName,
                        format!("{what}: to = \"{client}\" is not a [[client]]"),
                        "to",
                    ));
                }
            }
            if traffic.users == 0 {
                return Err(traffic_fail(
                    BadValue,
                    format!("{what}: users must be at least 1"),
                    "users",
                ));
            }
            if traffic.burst == 0 {
                return Err(traffic_fail(
                    BadValue,
                    format!("{what}: burst must be at least 1"),
                    "burst",
                ));
            }
            if !(traffic.rate_per_s.is_finite() && traffic.rate_per_s > 0.0) {
                return Err(traffic_fail(
                    BadValue,
                    format!("{what}: rate_per_s must be above 0"),
                    "rate_per_s",
                ));
            }
            if !(traffic.every_ms.is_finite() && traffic.every_ms > 0.0) {
                return Err(traffic_fail(
                    BadValue,
                    format!("{what}: every_ms must be above 0"),
                    "every_ms",
                ));
            }
            check_non_negative(at("start_ms"), traffic.start_ms)?;
            check_non_negative(at("duration_ms"), traffic.duration_ms)?;
            let (expected, field) = match traffic.pattern {
                Pattern::Burst => (
                    traffic.burst as f64 * (traffic.duration_ms / traffic.every_ms).ceil(),
                    "burst",
                ),
                _ => (
                    traffic.rate_per_s * traffic.duration_ms / 1000.0,
                    "rate_per_s",
                ),
            };
            if expected > MAX_REQUESTS as f64 {
                return Err(traffic_fail(
                    BadValue,
                    format!(
                        "{what} would send about {expected:.0} requests; at most {MAX_REQUESTS} \
                         per generator (lower the rate, the bursts or the duration)"
                    ),
                    field,
                ));
            }
        }
        check_probability(At::world("[network]", "loss"), self.network.loss)?;
        check_latency(
            At::world("[network]", "latency_ms"),
            self.network.latency_ms,
        )?;
        for link in &self.network.links {
            for end in &link.between {
                if !known(end) {
                    return Err(fail(
                        UnknownName,
                        format!("[[network.link]] names \"{end}\", which is not an actor"),
                    )
                    .field("between"));
                }
            }
            if let Some(loss) = link.loss {
                check_probability(At::world("[[network.link]]", "loss"), loss)?;
            }
            if let Some(latency) = link.latency_ms {
                check_latency(At::world("[[network.link]]", "latency_ms"), latency)?;
            }
        }
        self.validate_operations()?;
        for (i, fault) in self.faults.iter().enumerate() {
            let what = format!("fault {} ({})", i + 1, fault.kind.name());
            check_non_negative(At::world(&what, "at_ms"), fault.at_ms)?;
            if let Some(trigger) = &fault.after {
                if !known(&trigger.actor) {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "{what}: after.actor = \"{}\" is not an actor",
                            trigger.actor
                        ),
                    )
                    .field("after.actor"));
                }
                if trigger.nth == 0 {
                    return Err(fail(BadValue, format!("{what}: after.nth counts from 1"))
                        .actor(&trigger.actor)
                        .field("after.nth"));
                }
            }
            fault
                .kind
                .check(self)
                .map_err(|m| fail(BadValue, format!("{what}: {m}")))?;
        }
        for invariant in &self.invariants {
            match invariant {
                InvariantSpec::NoStaleWrites { resource }
                | InvariantSpec::NoDuplicates { resource }
                    if !is_resource(resource) =>
                {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "invariant names resource \"{resource}\", which is not a [[resource]]"
                        ),
                    )
                    .field("resource"));
                }
                InvariantSpec::SumConserved { node, .. } if !is_node(node) => {
                    return Err(fail(
                        UnknownName,
                        format!("invariant sum_conserved: node \"{node}\" is not a node"),
                    )
                    .field("node"));
                }
                InvariantSpec::KeyEquals { node, .. }
                | InvariantSpec::CacheMatchesDatabase { node, .. }
                | InvariantSpec::StaleAtMost { node, .. }
                | InvariantSpec::AcknowledgedWrites { node }
                    if !is_node(node) =>
                {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "invariant {}: \"{node}\" is not a node (nodes: {})",
                            crate::invariants::describe(invariant),
                            node_list()
                        ),
                    )
                    .field("node"));
                }
                InvariantSpec::ReplicasMatch { primary } if !is_node(primary) => {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "invariant {}: \"{primary}\" is not a node (nodes: {})",
                            crate::invariants::describe(invariant),
                            node_list()
                        ),
                    )
                    .field("primary"));
                }
                InvariantSpec::CacheMatchesDatabase { database, .. }
                    if !self.databases.iter().any(|d| &d.name == database) =>
                {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "invariant cache_matches_database: \"{database}\" is not a [[database]]"
                        ),
                    )
                    .field("database"));
                }
                InvariantSpec::StaleAtMost { of, ms, .. } => {
                    let is_database = self.databases.iter().any(|d| &d.name == of);
                    if !is_node(of) && !is_database {
                        return Err(fail(
                            UnknownName,
                            format!(
                            "invariant stale_at_most: of = \"{of}\" is neither a node nor a [[database]]"
                        ),
                        )
                        .field("of"));
                    }
                    check_non_negative(At::world("invariant stale_at_most:", "ms"), *ms)?;
                }
                InvariantSpec::AcknowledgedMessages { subscriber, .. }
                    if !is_client(subscriber) =>
                {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "invariant acknowledged_messages: subscriber \"{subscriber}\" is not a client"
                        ),
                    )
                    .field("subscriber"));
                }
                InvariantSpec::Rate {
                    limit, window_ms, ..
                } if *limit == 0 || window_ms.is_nan() || *window_ms <= 0.0 => {
                    return Err(fail(
                        BadValue,
                        "invariant rate: limit and window_ms must be above 0".into(),
                    )
                    .field(if *limit == 0 { "limit" } else { "window_ms" }));
                }
                _ => {}
            }
        }
        for metric in &self.metrics {
            metric.check().map_err(|m| fail(BadValue, m))?;
        }
        if let Some(liveness) = &self.liveness {
            for name in &liveness.finished {
                if !is_client(name) {
                    return Err(fail(
                        UnknownName,
                        format!("[liveness] finished names \"{name}\", which is not a client"),
                    )
                    .field("liveness.finished"));
                }
            }
            if let Some((resource, _)) = &liveness.accepted_writes {
                if !is_resource(resource) {
                    return Err(fail(
                        UnknownName,
                        format!(
                            "[liveness] accepted_writes names \"{resource}\", which is not a resource"
                        ),
                    )
                    .field("liveness.accepted_writes"));
                }
            }
        }
        Ok(())
    }
}

impl Scenario {
    /// `[[operator]]` and `[[deploy]]`: the nodes and clients they name
    /// exist, commands parse, and a deploy changes something.
    fn validate_operations(&self) -> Result<(), ScenarioError> {
        use ErrorKind::{BadValue, Conflict, Missing, UnknownName};
        let fail = |kind: ErrorKind, m: String| ScenarioError::new(kind, m);
        if !self.operators.is_empty() && self.actor_names().iter().any(|n| n == OPERATOR) {
            return Err(fail(
                Conflict,
                format!(
                "an actor is named \"{OPERATOR}\", the name [[operator]] commands run under: rename it"
            ),
            )
            .actor(OPERATOR)
            .field("name"));
        }
        for (i, op) in self.operators.iter().enumerate() {
            let what = format!("operator {} (`{}`)", i + 1, op.command);
            check_non_negative(At::world(&what, "at_ms"), op.at_ms)?;
            if !self.nodes.iter().any(|n| n.name == op.node) {
                return Err(fail(
                    UnknownName,
                    format!("{what}: node = \"{}\" is not a node", op.node),
                )
                .field("node"));
            }
            match lockstep_engine::inline::split_args(op.command.as_bytes()) {
                Ok(words) if !words.is_empty() => {}
                _ => {
                    return Err(fail(
                        BadValue,
                        format!("{what}: not a command (unbalanced quotes, or empty)"),
                    )
                    .actor(&op.node)
                    .field("command"))
                }
            }
        }
        for (i, deploy) in self.deploys.iter().enumerate() {
            let what = format!("deploy {} (client \"{}\")", i + 1, deploy.client);
            let deploy_fail =
                |kind, m: String, field: &str| fail(kind, m).actor(&deploy.client).field(field);
            check_non_negative(At::actor(&what, &deploy.client, "at_ms"), deploy.at_ms)?;
            if !self.clients.iter().any(|c| c.name == deploy.client) {
                return Err(deploy_fail(
                    UnknownName,
                    format!("{what}: there is no such [[client]]"),
                    "client",
                ));
            }
            if deploy.program.is_some() && deploy.library.is_some() {
                return Err(deploy_fail(
                    Conflict,
                    format!("{what} has both a program and a library: give one"),
                    "library",
                ));
            }
            if let Some(library) = &deploy.library {
                if !self.libraries.contains_key(library) && !deploy.libraries.contains_key(library)
                {
                    return Err(deploy_fail(
                        UnknownName,
                        format!("{what}: library \"{library}\" is not known"),
                        "library",
                    ));
                }
            }
            if deploy.program.is_none()
                && deploy.library.is_none()
                && deploy.params.is_none()
                && deploy.libraries.is_empty()
            {
                return Err(deploy_fail(
                    Missing,
                    format!(
                        "{what} changes nothing: give a program, a library, params or libraries"
                    ),
                    "program",
                ));
            }
        }
        Ok(())
    }
}

/// Where a checked number sits: the words that name its owner in a
/// message (`node "a"`, `[network]`), the owner if it is an actor, and
/// the number's key.
#[derive(Clone, Copy)]
struct At<'a> {
    owner: &'a str,
    actor: Option<&'a str>,
    field: &'a str,
}

impl<'a> At<'a> {
    /// A key of the actor `actor`, called `owner` in messages.
    fn actor(owner: &'a str, actor: &'a str, field: &'a str) -> At<'a> {
        At {
            owner,
            actor: Some(actor),
            field,
        }
    }

    /// A key of something that is not an actor (a section, a fault).
    fn world(owner: &'a str, field: &'a str) -> At<'a> {
        At {
            owner,
            actor: None,
            field,
        }
    }

    /// An error about this key, saying `what` is wrong with it.
    fn error(self, what: String) -> ScenarioError {
        let error = ScenarioError::new(ErrorKind::BadValue, what).field(self.field);
        match self.actor {
            Some(actor) => error.actor(actor),
            None => error,
        }
    }
}

fn check_non_negative(at: At, value: f64) -> Result<(), ScenarioError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(at.error(format!(
            "{} {} must be a number ≥ 0, not {value}",
            at.owner, at.field
        )))
    }
}

fn check_probability(at: At, value: f64) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(at.error(format!(
            "{} {} must be between 0 and 1, not {value}",
            at.owner, at.field
        )))
    }
}

fn check_latency(at: At, latency: Latency) -> Result<(), ScenarioError> {
    match latency {
        Latency::Fixed(ms) => check_non_negative(at, ms),
        Latency::Range([low, high]) => {
            check_non_negative(at, low)?;
            check_non_negative(at, high)?;
            if low > high {
                return Err(at.error(format!(
                    "{} {}: the range [{low}, {high}] is backwards",
                    at.owner, at.field
                )));
            }
            Ok(())
        }
    }
}
