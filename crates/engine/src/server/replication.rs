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

/// WAIT on a replica.
pub const WAIT_ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";
