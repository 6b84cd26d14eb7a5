//! Per-connection state: protocol, name, transaction, watches, subscriptions.

use std::collections::{BTreeSet, VecDeque};

use indexmap::IndexSet;

use crate::reply::Reply;

/// A connection's id, as `CLIENT ID` reports it (never reused; see
/// `engine::FIRST_CLIENT_ID`).
pub type ClientId = u64;

/// The protocol a connection speaks; `HELLO 3` switches to RESP3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

impl Protocol {
    /// The protocol version as HELLO and CLIENT LIST print it.
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
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
    /// Keys this client WATCHes, as (database, key). Whether one was
    /// touched since (Redis's `CLIENT_DIRTY_CAS`) is kept by each database's
    /// watch registry, which sees every write: `Keyspace::is_dirty`.
    pub watched: BTreeSet<(usize, Vec<u8>)>,
    /// True while EXEC runs this client's queued commands. Blocking
    /// commands must not block then (Redis's `CLIENT_DENY_BLOCKING`), and
    /// MONITOR is refused; see `Ctx::may_block`.
    pub in_exec: bool,
    /// The selected database (SELECT); 0 on a new connection and after RESET.
    pub db: usize,
    /// Logged in: always, unless `requirepass` is set (then AUTH or HELLO
    /// AUTH is needed before anything but a few connection commands).
    pub authenticated: bool,
    /// The ACL user this connection runs as; empty means `default`.
    pub user: Vec<u8>,
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
    /// Full name of the last command run (`client|list`), for CLIENT LIST's
    /// `cmd=` field; empty before the first one (Redis prints `NULL`).
    pub last_command: String,
    /// CLIENT REPLY: whether this connection's replies are sent.
    pub reply_mode: ReplyMode,
}

/// CLIENT REPLY ON | OFF | SKIP.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReplyMode {
    #[default]
    On,
    /// No replies (nor pub/sub messages) until CLIENT REPLY ON.
    Off,
    /// CLIENT REPLY SKIP ran: the next command's reply is dropped.
    SkipNext,
    /// The command now running is the one whose reply is dropped.
    Skipping,
}

impl ClientState {
    /// The ACL user this connection runs as.
    pub fn user_name(&self) -> &[u8] {
        if self.user.is_empty() {
            crate::server::acl::DEFAULT_USER
        } else {
            &self.user
        }
    }

    pub fn new(id: ClientId, now_ms: i64) -> Self {
        ClientState {
            id,
            authenticated: true,
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
