//! A node's replication role, as far as the engine needs it.
//!
//! The engine does not replicate (the simulator copies data between
//! nodes); it only has to know whether it is a replica, because Redis
//! answers differently then: writes are refused with READONLY while
//! `replica-read-only` is on (also inside scripts), WAIT is refused, and
//! ROLE and INFO replication describe the primary.

/// The primary a replica follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Primary {
    pub host: String,
    pub port: u16,
    /// Whether the link to the primary is up: the simulator's replicas are
    /// connected; a `lockstep serve` node told REPLICAOF has no primary to
    /// reach and stays connecting, as a real server would.
    pub link_up: bool,
}

/// Redis's `shared.roslaveerr`.
pub const READONLY_ERROR: &str = "READONLY You can't write against a read only replica.";

/// Redis's `shared.noreplicaserr`: a write while fewer good replicas than
/// `min-replicas-to-write` are connected.
pub const NOREPLICAS_ERROR: &str = "NOREPLICAS Not enough good replicas to write.";

/// Redis's `shared.masterdownerr`: a replica whose link is down, with
/// `replica-serve-stale-data no`, serves only commands flagged `stale`.
pub const MASTERDOWN_ERROR: &str =
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.";

/// WAIT on a replica.
pub const WAIT_ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";
