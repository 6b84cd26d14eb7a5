//! Per-connection state: protocol, name, transaction, watches, subscriptions.

use std::collections::{BTreeSet, VecDeque};

use indexmap::IndexSet;

use crate::reply::Reply;

/// A connection's id, as `CLIENT ID` reports it (starting at 1, never reused).
pub type ClientId = u64;

/// The protocol a connection speaks; `HELLO 3` switches to RESP3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

/// Commands queued between MULTI and EXEC.
#[derive(Clone, Debug, Default)]
pub struct MultiState {
    pub queued: Vec<Vec<Vec<u8>>>,
    /// A queue-time error (unknown command, wrong arity) makes EXEC fail
    /// with EXECABORT, as in Redis.
    pub errored: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ClientState {
    pub id: ClientId,
    pub name: Option<Vec<u8>>,
    pub protocol: Protocol,
    pub multi: Option<MultiState>,
    /// Keys this client WATCHes, with whether each existed/expired state is
    /// tracked by the keyspace's watch registry.
    pub watched: BTreeSet<Vec<u8>>,
    /// Set when a watched key was modified; EXEC then returns a null array.
    pub dirty_cas: bool,
    pub channels: BTreeSet<Vec<u8>>,
    /// In subscription order: Redis keeps a client's patterns in a list, and
    /// PUNSUBSCRIBE without arguments walks it in that order.
    pub patterns: IndexSet<Vec<u8>>,
    pub monitor: bool,
    /// Out-of-band replies (pub/sub messages, MONITOR lines) waiting to be
    /// delivered on this connection.
    pub pushes: VecDeque<Reply>,
    /// `ip:port` the connection came from (CLIENT LIST, MONITOR lines).
    pub addr: String,
    pub created_ms: i64,
    pub last_command_ms: i64,
}

impl ClientState {
    pub fn new(id: ClientId, now_ms: i64) -> Self {
        ClientState {
            id,
            created_ms: now_ms,
            last_command_ms: now_ms,
            ..Default::default()
        }
    }

    /// In RESP2 a subscribed connection may only run pub/sub commands.
    pub fn in_pubsub_context(&self) -> bool {
        self.protocol == Protocol::Resp2 && self.subscription_count() > 0
    }

    pub fn subscription_count(&self) -> usize {
        self.channels.len() + self.patterns.len()
    }
}
