//! Clients blocked on keys: BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK, ...
//! (Redis's `blocked.c`).
//!
//! A blocking command that finds nothing to take does not answer: the
//! engine records what the client waits for, under each of its keys in the
//! order clients blocked, and [`Engine::execute`] returns an [`Outcome`]
//! with `blocked: true` and no reply. The connection must not send the
//! client's next command to the engine until the client is unblocked (Redis
//! stops reading a blocked client's input).
//!
//! A write to a key someone is blocked on marks the key ready. After each
//! top-level command — a whole MULTI/EXEC or script counts as one, so the
//! clients are served after it, never in the middle — the engine serves the
//! ready keys in the order they were first written: for each key, its
//! waiters from the first blocked to the last, as long as the key has
//! something for them. A client is served from the key that became ready,
//! not the first of its keys. Serving BLMOVE pushes onto another key, which
//! may serve clients blocked there in turn. The served clients' replies wait
//! in the engine until the host takes them with [`Engine::take_unblocked`].
//!
//! Inside MULTI/EXEC and scripts blocking commands never block: they answer
//! at once as if the timeout had expired (`Ctx::may_block`).
//!
//! Time is the caller's: the engine has no clock. A host asks
//! [`Engine::next_block_timeout_ms`] when the next client times out and
//! calls [`Engine::unblock_timed_out`] at or after that time; each timed-out
//! client gets the null array Redis sends. `CLIENT UNBLOCK` and a
//! disconnect end a wait too.
//!
//! How a host drives it (a `lockstep serve` connection, or a simulated node):
//!
//! ```
//! use lockstep_engine::{encode, Engine, Protocol, Reply};
//!
//! let args = |line: &str| -> Vec<Vec<u8>> {
//!     line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
//! };
//! let mut engine = Engine::new(0);
//! let waiter = engine.connect("127.0.0.1:1", 0);
//! let pusher = engine.connect("127.0.0.1:2", 0);
//!
//! // BLPOP on an empty list blocks: no reply yet.
//! let outcome = engine.execute(waiter, &args("BLPOP jobs 5"), 1_000);
//! assert!(outcome.blocked);
//! assert!(engine.is_blocked(waiter));
//! // Redis times a client out once the clock is past its deadline.
//! assert_eq!(engine.next_block_timeout_ms(), Some(6_001));
//!
//! // Another client's LPUSH gets its own reply, then serves the waiter.
//! let outcome = engine.execute(pusher, &args("LPUSH jobs j1"), 2_000);
//! assert_eq!(outcome.reply, Reply::Integer(1));
//! let served = engine.take_unblocked();
//! assert_eq!(served.len(), 1);
//! assert_eq!(served[0].client, waiter);
//! let bytes = encode::to_bytes(&served[0].reply, engine.protocol(waiter));
//! assert_eq!(bytes, b"*2\r\n$4\r\njobs\r\n$2\r\nj1\r\n");
//!
//! // A wait that nothing serves ends at its timeout with a null array.
//! assert!(engine.execute(waiter, &args("BLPOP jobs 0.5"), 3_000).blocked);
//! assert!(engine.unblock_timed_out(3_500).is_empty());
//! let timed_out = engine.unblock_timed_out(3_501);
//! assert_eq!(timed_out[0].reply, Reply::NullArray);
//! assert_eq!(encode::to_bytes(&timed_out[0].reply, Protocol::Resp2), b"*-1\r\n");
//! ```
//!
//! [`Outcome`]: crate::Outcome

use std::collections::{BTreeMap, VecDeque};

use crate::client::ClientId;
use crate::command::{Caller, Ctx};
use crate::commands;
use crate::engine::Engine;
use crate::keyspace::Keyspace;
use crate::numbers::{parse_i64, strtod, LongDouble};
use crate::reply::Reply;
use crate::types::stream::StreamId;

/// A reply for a client that was blocked: served by a write, timed out,
/// or unblocked by `CLIENT UNBLOCK`. The client may send commands again.
#[derive(Clone, Debug, PartialEq)]
pub struct Unblocked {
    pub client: ClientId,
    pub reply: Reply,
}

/// What a blocked client waits for, and how it is served once a key has it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Wait {
    /// BLPOP/BRPOP (`count: None`, reply `[key, element]`) and BLMPOP
    /// (`count: Some`, reply `[key, [element, ...]]`).
    ListPop {
        from_head: bool,
        count: Option<usize>,
    },
    /// BLMOVE and BRPOPLPUSH.
    ListMove {
        destination: Vec<u8>,
        from_head: bool,
        to_head: bool,
    },
    /// BZPOPMIN/BZPOPMAX (`count: None`, reply `[key, member, score]`) and
    /// BZMPOP (`count: Some`, reply `[key, [[member, score], ...]]`).
    ZsetPop { max: bool, count: Option<i64> },
    /// XREAD and XREADGROUP with BLOCK.
    Stream(StreamWait),
}

/// A blocked stream read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct StreamWait {
    /// Per key, the ID after which entries are wanted (`$` resolved when the
    /// client blocked, so the entry that wakes it is not skipped).
    pub after: BTreeMap<Vec<u8>, StreamId>,
    /// At most this many entries per stream (COUNT, or 1000 without it).
    pub count: usize,
    pub group: Option<GroupWait>,
}

/// The consumer group side of a blocked XREADGROUP `>`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GroupWait {
    pub group: Vec<u8>,
    pub consumer: Vec<u8>,
    pub noack: bool,
}

/// A command's request to block, left in the context for the dispatcher.
#[derive(Clone, Debug)]
pub(crate) struct BlockRequest {
    keys: Vec<Vec<u8>>,
    deadline_ms: Option<i64>,
    wait: Wait,
}

#[derive(Clone, Debug)]
struct BlockedClient {
    /// The database the client had selected when it blocked.
    db: usize,
    /// Its keys, each once, in the order given.
    keys: Vec<Vec<u8>>,
    deadline_ms: Option<i64>,
    wait: Wait,
}

/// The node's blocked clients (Redis's `db->blocking_keys` and the
/// clients' `bpop` state).
#[derive(Clone, Debug, Default)]
pub struct Blocking {
    clients: BTreeMap<ClientId, BlockedClient>,
    /// Per (database, key): the clients blocked on it, first blocked first.
    queues: BTreeMap<(usize, Vec<u8>), VecDeque<ClientId>>,
    pending: Option<BlockRequest>,
    unblocked: Vec<Unblocked>,
    /// Clients whose command CLIENT PAUSE holds back, with that command,
    /// first postponed first (see [`postponed`]).
    postponed: Vec<(ClientId, Vec<Vec<u8>>)>,
    /// Postponed commands are being run again (no nested re-run).
    resuming: bool,
}

impl Blocking {
    /// How many clients are blocked (INFO's `blocked_clients`).
    pub fn blocked_count(&self) -> usize {
        self.clients.len() + self.postponed.len()
    }

    /// How many blocked clients have a timeout (INFO's
    /// `clients_in_timeout_table`).
    pub fn timed_count(&self) -> usize {
        self.clients
            .values()
            .filter(|b| b.deadline_ms.is_some())
            .count()
    }

    fn register(&mut self, client: ClientId, db: usize, request: BlockRequest, ks: &mut Keyspace) {
        let mut keys: Vec<Vec<u8>> = Vec::with_capacity(request.keys.len());
        for key in request.keys {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        for key in &keys {
            self.queues
                .entry((db, key.clone()))
                .or_default()
                .push_back(client);
            ks.note_blocked_key(key);
        }
        self.clients.insert(
            client,
            BlockedClient {
                db,
                keys,
                deadline_ms: request.deadline_ms,
                wait: request.wait,
            },
        );
    }

    /// Ends `client`'s wait; returns its database and the keys nobody is
    /// blocked on any more (for the keyspace to forget).
    fn release(&mut self, client: ClientId) -> Option<(usize, Vec<Vec<u8>>)> {
        let blocked = self.clients.remove(&client)?;
        let mut emptied = Vec::new();
        for key in blocked.keys {
            let slot = (blocked.db, key);
            if let Some(queue) = self.queues.get_mut(&slot) {
                queue.retain(|&c| c != client);
                if queue.is_empty() {
                    self.queues.remove(&slot);
                    emptied.push(slot.1);
                }
            }
        }
        Some((blocked.db, emptied))
    }
}

impl Ctx<'_> {
    /// Blocks the calling client on `keys` for `timeout_ms` (0: forever).
    /// The command returns what this returns, which the dispatcher replaces
    /// by "no reply yet". Only call it when `may_block` is true.
    pub(crate) fn block(&mut self, keys: Vec<Vec<u8>>, timeout_ms: i64, wait: Wait) -> Reply {
        let deadline_ms = (timeout_ms > 0).then(|| self.now_ms.saturating_add(timeout_ms));
        self.server.blocking.pending = Some(BlockRequest {
            keys,
            deadline_ms,
            wait,
        });
        Reply::Many(Vec::new())
    }

    /// Unblocks `client` with `reply` (CLIENT UNBLOCK); false if it was not
    /// blocked.
    pub(crate) fn unblock_with(&mut self, client: ClientId, reply: Reply) -> bool {
        let Some((db, emptied)) = self.server.blocking.release(client) else {
            return false;
        };
        if let Some(ks) = self.db_at(db) {
            for key in &emptied {
                ks.forget_blocked_key(key);
            }
        }
        // An error ends the blocked command as failed, in the error stats
        // and its command's `failed_calls`, as Redis counts it on unblock.
        if let Reply::Error(text) = &reply {
            let command = self
                .clients
                .get(&client)
                .map(|c| c.last_command.clone())
                .filter(|name| !name.is_empty());
            let stats = &mut self.server.stats;
            if let Some(command) = command {
                stats.command(&command).failed_calls += 1;
            }
            stats.count_error(text);
        }
        self.server
            .blocking
            .unblocked
            .push(Unblocked { client, reply });
        true
    }

    /// Whether `client` waits in a blocking command.
    pub(crate) fn is_client_blocked(&self, client: ClientId) -> bool {
        self.server.blocking.clients.contains_key(&client)
    }
}

/// `getTimeoutFromObjectOrReply` in seconds (BLPOP, BZPOPMIN, ...): a long
/// double, turned into milliseconds with `(long long) ceill(t * 1000)`.
/// Values whose conversion overflows come out negative on x86-64, as in
/// Redis. 0 means forever.
pub(crate) fn parse_timeout_seconds(arg: &[u8]) -> Result<i64, Reply> {
    if LongDouble::parse(arg).is_none() {
        return Err(Reply::error("ERR timeout is not a float or out of range"));
    }
    let ms = (strtod(arg).value * 1000.0).ceil();
    // 2^63: from there on the conversion to `long long` overflows.
    const LONG_LONG_END: f64 = 9_223_372_036_854_775_808.0;
    if !(0.0..LONG_LONG_END).contains(&ms) {
        return Err(Reply::error("ERR timeout is negative"));
    }
    Ok(ms as i64)
}

/// The same in milliseconds (XREAD's BLOCK): an integer.
pub(crate) fn parse_timeout_millis(arg: &[u8]) -> Result<i64, Reply> {
    match parse_i64(arg) {
        None => Err(Reply::error(
            "ERR timeout is not an integer or out of range",
        )),
        Some(t) if t < 0 => Err(Reply::error("ERR timeout is negative")),
        Some(t) => Ok(t),
    }
}

impl Engine {
    /// Replies for clients whose wait ended since the last call (served by
    /// a write, unblocked by `CLIENT UNBLOCK`), in the order they ended.
    /// Each goes to its client's connection, encoded in its protocol; the
    /// client may send commands again.
    pub fn take_unblocked(&mut self) -> Vec<Unblocked> {
        std::mem::take(&mut self.server.blocking.unblocked)
    }

    /// Whether `client` is waiting in a blocking command.
    pub fn is_blocked(&self, client: ClientId) -> bool {
        self.server.blocking.clients.contains_key(&client) || self.is_postponed(client)
    }

    /// The earliest time at which a blocked client times out, if any has a
    /// timeout: the time to call [`Engine::unblock_timed_out`] at. As in
    /// Redis (`timeout < now`), that is the millisecond after the deadline,
    /// so a wait never ends before its full timeout even on a clock read
    /// in whole milliseconds.
    pub fn next_block_timeout_ms(&self) -> Option<i64> {
        self.server
            .blocking
            .clients
            .values()
            .filter_map(|b| b.deadline_ms)
            .chain(self.server.pause.end_ms())
            .min()
            .map(|deadline| deadline.saturating_add(1))
    }

    /// Ends the waits whose timeout has come at `now_ms`, with the null
    /// array Redis sends then; returns them together with any other
    /// replies [`Engine::take_unblocked`] would have returned.
    pub fn unblock_timed_out(&mut self, now_ms: i64) -> Vec<Unblocked> {
        self.end_pause_if_due(now_ms);
        let due: Vec<ClientId> = self
            .server
            .blocking
            .clients
            .iter()
            .filter(|(_, b)| b.deadline_ms.is_some_and(|t| t < now_ms))
            .map(|(&c, _)| c)
            .collect();
        for client in due {
            self.end_wait(client, Reply::NullArray);
        }
        self.take_unblocked()
    }

    /// Forgets `client`'s wait, if it has one (a disconnect), without a reply.
    pub(crate) fn drop_wait(&mut self, client: ClientId) {
        self.server.blocking.postponed.retain(|(c, _)| *c != client);
        if let Some((db, emptied)) = self.server.blocking.release(client) {
            self.forget_keys(db, &emptied);
        }
    }

    fn end_wait(&mut self, client: ClientId, reply: Reply) {
        if let Some((db, emptied)) = self.server.blocking.release(client) {
            self.forget_keys(db, &emptied);
            self.server
                .blocking
                .unblocked
                .push(Unblocked { client, reply });
        }
    }

    fn forget_keys(&mut self, db: usize, keys: &[Vec<u8>]) {
        let active = self.server.active_db;
        let ks = if db == active {
            Some(&mut self.db)
        } else {
            self.server.parked_dbs.get_mut(db)
        };
        if let Some(ks) = ks {
            for key in keys {
                ks.forget_blocked_key(key);
            }
        }
    }

    /// Registers the block a command just asked for; true if there was one.
    pub(crate) fn take_block_request(&mut self, client: ClientId) -> bool {
        let Some(request) = self.server.blocking.pending.take() else {
            return false;
        };
        let db = self.server.active_db;
        self.server
            .blocking
            .register(client, db, request, &mut self.db);
        true
    }

    /// Redis's `handleClientsBlockedOnKeys`: serves the clients blocked on
    /// keys written since the last call, ready key by ready key, until
    /// serving (BLMOVE's push) readies no more keys. Database 0 must be the
    /// active one; it is again afterwards.
    pub(crate) fn serve_ready_keys(&mut self, now_ms: i64) {
        loop {
            let mut ready = Vec::new();
            for index in 0..self.server.parked_dbs.len() {
                let ks = if index == self.server.active_db {
                    &mut self.db
                } else {
                    &mut self.server.parked_dbs[index]
                };
                ready.extend(ks.take_ready_keys().into_iter().map(|k| (index, k)));
            }
            if ready.is_empty() {
                break;
            }
            for (db, key) in ready {
                self.serve_key(db, &key, now_ms);
            }
        }
        self.server.activate(&mut self.db, 0);
    }

    fn serve_key(&mut self, db: usize, key: &[u8], now_ms: i64) {
        self.server.activate(&mut self.db, db);
        let Some(queue) = self
            .server
            .blocking
            .queues
            .get(&(db, key.to_vec()))
            .cloned()
        else {
            self.db.forget_blocked_key(key);
            return;
        };
        for client in queue {
            let Some(wait) = self
                .server
                .blocking
                .clients
                .get(&client)
                .map(|b| b.wait.clone())
            else {
                continue;
            };
            if !self.clients.contains_key(&client) {
                continue;
            }
            let mut ctx = Ctx {
                db: &mut self.db,
                clients: &mut self.clients,
                server: &mut self.server,
                client_id: client,
                now_ms,
                caller: Caller::Client,
                cost_ns: 0,
            };
            if let Some(reply) = serve(&mut ctx, key, &wait) {
                ctx.unblock_with(client, reply);
                let after = crate::tracking::after_serving(&mut ctx);
                if let (false, Some(last)) =
                    (after.is_empty(), self.server.blocking.unblocked.last_mut())
                {
                    let reply = std::mem::replace(&mut last.reply, Reply::Many(Vec::new()));
                    last.reply = Reply::Many(std::iter::once(reply).chain(after).collect());
                }
                if let Some(c) = self.clients.get_mut(&client) {
                    c.last_command_ms = now_ms;
                }
            }
        }
    }
}

/// Serves one blocked client from `key` if the key has what it waits for:
/// its reply, or None to leave it blocked.
fn serve(ctx: &mut Ctx, key: &[u8], wait: &Wait) -> Option<Reply> {
    match wait {
        Wait::ListPop { from_head, count } => {
            commands::lists::serve_pop(ctx, key, *from_head, *count)
        }
        Wait::ListMove {
            destination,
            from_head,
            to_head,
        } => commands::lists::serve_move(ctx, key, destination, *from_head, *to_head),
        Wait::ZsetPop { max, count } => commands::zsets::serve_pop(ctx, key, *max, *count),
        Wait::Stream(stream) => commands::streams::serve_read(ctx, key, stream),
    }
}

/// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: ends another client's wait,
/// with the timeout's null array or with an UNBLOCKED error. 1 if the
/// client was blocked, else 0.
pub fn client_unblock(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 4 {
        // Redis's `addReplySubcommandSyntaxError`: the name as typed.
        let typed = String::from_utf8_lossy(&args[1]);
        return Reply::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            typed.chars().take(128).collect::<String>()
        ));
    }
    let with_error = match args.get(3) {
        None => false,
        Some(a) if a.eq_ignore_ascii_case(b"timeout") => false,
        Some(a) if a.eq_ignore_ascii_case(b"error") => true,
        Some(_) => {
            return Reply::error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        }
    };
    let Some(id) = parse_i64(&args[2]) else {
        return Reply::not_integer();
    };
    let Ok(id) = ClientId::try_from(id) else {
        return Reply::Integer(0);
    };
    if !ctx.is_client_blocked(id) {
        return Reply::Integer(0);
    }
    let reply = if with_error {
        Reply::error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
    } else {
        Reply::NullArray
    };
    Reply::Integer(i64::from(ctx.unblock_with(id, reply)))
}

pub(crate) mod postponed;
#[cfg(test)]
mod tests;
