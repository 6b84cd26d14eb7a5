//! The trace: everything that happened in a run, in order, with enough
//! state attached to draw any step without running the scenario again.
//!
//! The schema is documented for front ends in `crates/sim/TRACE.md`; keep
//! the two in step. Times are integers (microseconds of global time) so the
//! JSON is byte-identical on every platform; local clocks are milliseconds.

use std::collections::BTreeMap;

use lockstep_engine::Reply;

pub use crate::bytes::Bytes;
pub use crate::event_facts::EVENT_TYPES;
use serde::{Deserialize, Serialize};

fn first_version() -> u32 {
    1
}

/// Global simulated time in microseconds.
pub type Time = u64;

/// The version of the trace's JSON format; `TRACE.md` says what each
/// version changed. Raised whenever a field changes meaning or goes away.
pub const FORMAT_VERSION: u32 = 2;

/// A whole run.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Trace {
    /// [`FORMAT_VERSION`] of the simulator that wrote it (1 for traces
    /// written before the field existed).
    #[serde(default = "first_version")]
    pub format_version: u32,
    pub title: String,
    pub seed: u64,
    /// Every actor, in the scenario's order: nodes, clients, resources, and
    /// the sentinel if there is one.
    pub actors: Vec<Actor>,
    pub events: Vec<Event>,
    /// One per invariant, in the scenario's order, plus liveness if declared.
    pub verdicts: Vec<Verdict>,
    /// Global time when the run stopped.
    pub end_us: Time,
    /// Why it stopped: every client finished, the duration ran out, or the
    /// event limit was reached.
    pub stopped: String,
    /// The faults (by their place in the list the run was given) whose
    /// moment never came: a time after the run ended, or a trigger that
    /// never happened. Left out when every fault struck.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unstruck_faults: Vec<usize>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub kind: ActorKind,
    /// What sets this actor apart from its kind's defaults, for a viewer to
    /// show with its name: `scripts at 1% speed` on a node declared slower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The note a node's lane shows for its script speed (none at normal speed).
pub fn script_speed_note(speed: f64) -> Option<String> {
    if speed == 1.0 {
        return None;
    }
    let percent = speed * 100.0;
    let shown = if percent >= 1.0 {
        format!("{}", (percent * 10.0).round() / 10.0)
    } else {
        format!("{percent}")
    };
    Some(format!("scripts at {shown}% speed"))
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Node,
    Client,
    Resource,
    /// A `[[database]]`.
    Database,
    /// A `[[traffic]]` generator.
    Traffic,
    /// A member of a `[[consensus]]` service.
    Member,
    /// Whoever runs the `[[operator]]` commands.
    Operator,
    Sentinel,
    /// The fault injector: partitions and heals belong to nobody.
    World,
}

/// One thing that happened.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Event {
    /// Position in the trace, from 0.
    pub seq: u64,
    pub t_us: Time,
    /// The actor it happened to (or `world`).
    pub actor: String,
    /// The actor's own clock, in ms, which may disagree with global time.
    pub local_ms: f64,
    #[serde(flatten)]
    pub what: What,
    /// The world after this event, when this event changed it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub state: Option<WorldState>,
}

/// What an [`Event`] was.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum What {
    /// A client program started (or a spawned task, with its number).
    Start {
        task: u32,
    },
    /// A task ended; `error` if its program raised one.
    Finish {
        task: u32,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        error: Option<String>,
    },
    /// A client sent a command to a node, or a write to a resource.
    Send {
        to: String,
        msg: u64,
        text: String,
    },
    /// A node ran a command (the message it came in).
    Exec {
        from: String,
        msg: u64,
        command: String,
        reply: String,
        /// How long the node was busy with it.
        cost_us: u64,
    },
    /// A client got its answer.
    Receive {
        from: String,
        msg: u64,
        text: String,
        /// The caller had stopped waiting (it timed out): the program never
        /// sees this reply.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        late: bool,
    },
    /// A message was lost: `reason` says why (partition, loss, node down).
    Drop {
        from: String,
        to: String,
        msg: u64,
        reason: String,
    },
    /// A pub/sub message reached a subscriber's connection (task `task`'s);
    /// `pattern` when it matched a PSUBSCRIBE. Display text, quoted.
    Message {
        from: String,
        msg: u64,
        task: u32,
        channel: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        pattern: Option<String>,
        text: String,
    },
    /// A node closed a client's connection (its output buffer passed
    /// `client-output-buffer-limit`); `reason` says which limit.
    Disconnect {
        client: String,
        reason: String,
    },
    /// A call gave up waiting.
    Timeout {
        to: String,
        msg: u64,
    },
    /// A node removed a key whose TTL ran out.
    Expire {
        key: String,
    },
    /// A node started a script that will keep it busy.
    ScriptStart {
        from: String,
        msg: u64,
        busy_until_us: Time,
    },
    /// A node answered a client with BUSY, or queued it, while a script ran.
    Busy {
        from: String,
        msg: u64,
        reply: String,
    },
    Sleep {
        task: u32,
        ms: f64,
    },
    Work {
        task: u32,
        ms: f64,
    },
    Log {
        text: String,
    },
    Enter {
        name: String,
    },
    Leave {
        name: String,
    },
    /// A resource accepted or rejected a write.
    Write {
        from: String,
        msg: u64,
        accepted: bool,
        detail: String,
        /// The fencing token the write carried, if any: a fact the
        /// timeline draws on the write, so it is never read back out of
        /// `detail`.
        #[serde(skip_serializing_if = "Option::is_none", default)]
        token: Option<i64>,
    },
    /// A database answered a query (`queued_us`: how long it waited for
    /// a connection before its `query_ms`).
    Query {
        from: String,
        msg: u64,
        query: String,
        key: String,
        result: String,
        queued_us: u64,
    },
    /// A consensus leader answered a request once a majority of members
    /// had written it (`revision`: the service's revision after it).
    Commit {
        from: String,
        msg: u64,
        request: String,
        #[serde(skip_serializing_if = "Option::is_none", default)]
        key: Option<String>,
        result: String,
        revision: u64,
    },
    /// A consensus member became the leader of `term`.
    Elected {
        term: u64,
    },
    /// A lease's holder sent no keepalive for its TTL (on the service's
    /// clock): the leader committed its end and deleted `keys`.
    LeaseExpire {
        lease: u64,
        keys: Vec<String>,
        revision: u64,
    },
    /// A traffic generator sent request `id` of `user` to a client.
    Request {
        to: String,
        id: u64,
        user: u64,
    },
    /// A client finished serving request `id` of `user` (from generator
    /// `traffic`) with `outcome` (`allowed`, `rejected`, ...).
    Outcome {
        traffic: String,
        id: u64,
        user: u64,
        outcome: String,
    },
    Pause {
        duration_ms: f64,
    },
    Resume,
    /// A node crashed, or a client process was killed.
    Crash,
    /// A node came back; `kept` says what its persistence kept.
    Restart {
        kept: String,
    },
    /// A replica became a primary (`promote`, `REPLICAOF NO ONE` or the
    /// sentinel's failover).
    Promote {
        reason: String,
    },
    /// A node began replicating another.
    Replicate {
        primary: String,
        full_sync: bool,
    },
    /// A replica applied the primary's writes up to `offset`.
    Sync {
        offset: u64,
    },
    /// A node's data reached its disk.
    Persist {
        what: String,
    },
    Partition {
        groups: Vec<Vec<String>>,
    },
    Heal,
    ClockJump {
        by_ms: f64,
    },
    ClockDrift {
        drift: f64,
    },
    /// A latency spike began: messages between the two groups take
    /// `extra_ms` longer for `duration_ms`.
    Delay {
        between: [Vec<String>; 2],
        extra_ms: f64,
        duration_ms: f64,
    },
    /// From now, for `duration_ms`, messages from `from` to `to` are lost
    /// (that way only).
    LoseOneWay {
        from: Vec<String>,
        to: Vec<String>,
        duration_ms: f64,
    },
    /// The next reply to this client will be lost.
    LoseReply,
    /// An `[[operator]]` command got its reply from `node`; it was asked
    /// at `asked_us` (later only if the node was busy).
    Operator {
        node: String,
        msg: u64,
        command: String,
        reply: String,
        asked_us: Time,
    },
    /// A client was stopped and started again with a new version of its
    /// program (`[[deploy]]`), due since `due_us`; `change` says what.
    Deploy {
        change: String,
        due_us: Time,
    },
    /// An invariant failed for the first time.
    Violation {
        invariant: String,
        message: String,
        /// `seq` of the events that led to it.
        caused_by: Vec<u64>,
    },
}

/// A snapshot of what a learner sees at one step.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct WorldState {
    pub nodes: BTreeMap<String, NodeState>,
    /// Critical section name -> processes inside it.
    pub holders: BTreeMap<String, Vec<String>>,
    pub resources: BTreeMap<String, ResourceState>,
    /// Each `[[database]]`'s rows and query count (absent without one).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub databases: BTreeMap<String, DatabaseState>,
    /// Each `[[consensus]]` service's committed state (absent without one).
    #[serde(skip_serializing_if = "BTreeMap::is_empty", default)]
    pub consensus: BTreeMap<String, ConsensusState>,
}

/// A consensus service as its members have committed it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ConsensusState {
    /// The member leading now (absent while there is none).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub leader: Option<String>,
    pub term: u64,
    /// The revision of the last committed write.
    pub revision: u64,
    /// Every key, in key order.
    pub keys: Vec<ConsensusKey>,
    /// Every live lease.
    pub leases: Vec<LeaseState>,
    /// Members that are down.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub down: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ConsensusKey {
    pub key: String,
    pub value: String,
    /// The revision of the write that set it (a fencing token).
    pub revision: u64,
    /// The lease it goes with, if any.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lease: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct LeaseState {
    pub lease: u64,
    pub ttl_ms: f64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct DatabaseState {
    /// Every row, in key order.
    pub rows: Vec<RowState>,
    /// Queries answered so far.
    pub queries: u64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct RowState {
    pub key: String,
    /// The row's exact value (rows hold text).
    pub value: String,
    /// 1 for a row's first write, one more with every write.
    pub version: u64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct NodeState {
    pub up: bool,
    /// `primary` or `replica of <name>`.
    pub role: String,
    /// Database 0, in the node's key order.
    pub keys: Vec<KeyState>,
    /// How fast the node's clock runs against global time (1 + drift), so
    /// a viewer can count TTLs down between snapshots on the node's clock.
    pub clock_rate: f64,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct KeyState {
    /// The key's name for display (invalid UTF-8 replaced).
    pub key: String,
    /// The key's exact name, given only when it is not valid UTF-8 (so
    /// `key` could not carry it).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_bytes: Option<Bytes>,
    #[serde(rename = "type")]
    pub kind: String,
    /// The value for display: quoted, cut after 200 bytes, big
    /// collections abbreviated.
    pub value: String,
    /// A string's exact value (base64 in JSON, see [`Bytes`]); absent for
    /// other types.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bytes: Option<Bytes>,
    /// Milliseconds left on the node's own clock; absent without a TTL.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ttl_ms: Option<i64>,
    /// What MEMORY USAGE answers for the key, in bytes: given only by a
    /// node with `memory_usage = true`, for the `memory` metric.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub memory: Option<u64>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct ResourceState {
    /// The highest fencing token accepted so far.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub highest_token: Option<i64>,
    pub accepted: u32,
    pub rejected: u32,
    /// The last accepted write's value.
    pub last_value: String,
}

/// How an invariant (or the liveness check) ended.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Verdict {
    /// The invariant as the scenario states it, e.g. `mutual_exclusion(report)`.
    pub invariant: String,
    /// Which check it is: the invariant's `kind`, or `liveness`.
    pub kind: VerdictKind,
    /// What it is about: the critical section, resource or node the
    /// invariant names, the Lua check's name; for a failed liveness check
    /// the client (or resource, or section) that fell short.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub subject: Option<String>,
    pub held: bool,
    /// For a violation: what happened; for liveness: what was missing.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    /// Where a failure shows: the violation event, or for liveness the
    /// failed client's last event (else the run's last event). Absent when
    /// the verdict held.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub at_seq: Option<u64>,
    /// The time of that event.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub at_us: Option<Time>,
}

/// The kind of check behind a [`Verdict`].
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    MutualExclusion,
    NoStaleWrites,
    NoDuplicates,
    Rate,
    SumConserved,
    Lua,
    /// A `[[metric]]` assertion: a measurement within its bounds.
    Metric,
    KeyEquals,
    CacheMatchesDatabase,
    ReplicasMatch,
    AcknowledgedWrites,
    AcknowledgedMessages,
    StaleAtMost,
    /// The scenario's `[liveness]`: the work gets done.
    Liveness,
}

impl What {
    /// Whether the event is a fault striking (or its end): what the
    /// timelines mark as a fault.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            What::Pause { .. }
                | What::Resume
                | What::Crash
                | What::Restart { .. }
                | What::Promote { .. }
                | What::Partition { .. }
                | What::Heal
                | What::ClockJump { .. }
                | What::ClockDrift { .. }
                | What::Delay { .. }
                | What::LoseOneWay { .. }
                | What::LoseReply
        )
    }
}

impl Trace {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The world as it was after event `seq`: the latest snapshot at or
    /// before it.
    pub fn state_at(&self, seq: u64) -> Option<&WorldState> {
        self.events
            .iter()
            .take_while(|e| e.seq <= seq)
            .filter_map(|e| e.state.as_ref())
            .last()
    }

    /// The first violated invariant (not the liveness check), if any. A
    /// failed `[[metric]]` assertion counts, at the run's last event.
    pub fn first_violation(&self) -> Option<&Verdict> {
        self.verdicts
            .iter()
            .filter(|v| !v.held && v.kind != VerdictKind::Liveness && v.at_us.is_some())
            .min_by_key(|v| (v.at_us, v.at_seq))
    }
}

/// A reply in one line, as redis-cli would show it.
pub(crate) fn reply_text(reply: &Reply) -> String {
    let mut out = String::new();
    write_reply(reply, &mut out);
    out
}

fn write_reply(reply: &Reply, out: &mut String) {
    match reply {
        Reply::Status(s) => out.push_str(s),
        Reply::Error(e) => {
            out.push_str("(error) ");
            out.push_str(e);
        }
        Reply::Integer(i) => out.push_str(&format!("(integer) {i}")),
        Reply::Bulk(b) => out.push_str(&quote(b)),
        Reply::Null | Reply::NullArray => out.push_str("(nil)"),
        // Client programs speak RESP2, where a double is a bulk string:
        // redis-cli shows ZSCORE as "110", not RESP3's `(double) 110`.
        Reply::Double(d) => out.push_str(&quote(
            lockstep_engine::numbers::format_double_reply(*d).as_bytes(),
        )),
        Reply::Bool(b) => out.push_str(if *b { "(true)" } else { "(false)" }),
        Reply::Verbatim(s) => out.push_str(&quote(s.as_bytes())),
        // Several replies to one command (SUBSCRIBE a b): one after another,
        // as they travel.
        Reply::Many(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str("; ");
                }
                write_reply(item, out);
            }
        }
        Reply::BigNumber(digits) => out.push_str(&format!("(big number) {digits}")),
        Reply::Attributed { reply, .. } => write_reply(reply, out),
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_reply(item, out);
            }
            out.push(']');
        }
        Reply::Map(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_reply(k, out);
                out.push_str(": ");
                write_reply(v, out);
            }
            out.push('}');
        }
    }
}

/// A command line as redis-cli echoes it: words quoted only when needed.
pub(crate) fn command_text(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|a| {
            let plain = !a.is_empty()
                && a.iter()
                    .all(|&c| c.is_ascii_graphic() && c != b'"' && c != b'\'' && c != b'\\');
            if plain {
                String::from_utf8_lossy(a).into_owned()
            } else {
                quote(a)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bytes in double quotes with redis-cli's escapes (Redis's `sdscatrepr`,
/// [`lockstep_engine::repr()`]); long ones shortened.
pub fn quote(bytes: &[u8]) -> String {
    const MAX: usize = 200;
    let mut out = String::from("\"");
    lockstep_engine::repr::write_escaped(&mut out, &bytes[..bytes.len().min(MAX)]);
    if bytes.len() > MAX {
        out.push_str(&format!("…(+{} bytes)", bytes.len() - MAX));
    }
    out.push('"');
    out
}
