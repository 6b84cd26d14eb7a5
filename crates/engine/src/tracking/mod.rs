//! Server-assisted client-side caching: CLIENT TRACKING (Redis's
//! `tracking.c`).
//!
//! A tracking client is told when a key it may have cached changes. In the
//! default mode the server remembers which client read which key (the
//! tracking table: every key a read-only command named, or only after
//! CLIENT CACHING yes with OPTIN, or unless CLIENT CACHING no with OPTOUT)
//! and sends one invalidation per key when it is modified, forgetting the
//! key then. In BCAST mode nothing is remembered: every modified key that
//! starts with one of the client's prefixes is collected, and after the
//! command the client gets them all in one message.
//!
//! An invalidation is a RESP3 push `>2 invalidate [key ...]`; with REDIRECT
//! it goes to another connection instead — as that push if the connection
//! speaks RESP3, or as a `message` on the `__redis__:invalidate` channel if
//! it is a subscribed RESP2 connection. FLUSHALL and FLUSHDB send a null
//! instead of keys. Messages for the connection whose own command changed
//! the key come after that command's reply (a MULTI/EXEC or script counts
//! as one command), as BCAST messages always do; others are queued at once.
//!
//! The engine's keyspaces log every modified key while anyone tracks (see
//! `Keyspace::log_modified`); [`after_call`] reads the log after each
//! command call and [`Engine::finish_tracking`] after each top-level
//! command.

mod command;

use std::collections::{BTreeMap, BTreeSet};

pub use command::{client_caching, client_getredir, client_tracking, client_trackinginfo};

use crate::client::{ClientId, Protocol};
use crate::command::{flags, CommandSpec, Ctx};
use crate::engine::{Engine, Outcome};
use crate::reply::Reply;

/// The channel RESP2 redirect targets hear invalidations on.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// One client's tracking options.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tracker {
    /// The connection invalidations go to; 0: this one.
    pub redirect: ClientId,
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING yes (OPTIN) or no (OPTOUT) for the next command.
    pub caching: bool,
    /// The redirect target had gone when a message was due.
    pub broken_redirect: bool,
    /// BCAST prefixes ("" for all keys), in byte order.
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// Keys modified under one BCAST prefix since the last broadcast, each
/// with the client that modified it last (`None`: no client, as expiry).
#[derive(Clone, Debug, Default)]
struct Prefix {
    clients: BTreeSet<ClientId>,
    keys: BTreeMap<Vec<u8>, Option<ClientId>>,
}

/// The node's tracking state.
#[derive(Clone, Debug, Default)]
pub struct Tracking {
    trackers: BTreeMap<ClientId, Tracker>,
    /// key -> the clients that read it (default mode).
    table: BTreeMap<Vec<u8>, BTreeSet<ClientId>>,
    /// (key, client) pairs in `table` (INFO's `tracking_total_items`).
    items: usize,
    prefixes: BTreeMap<Vec<u8>, Prefix>,
    /// Invalidations for the running command's own connection, sent after
    /// its reply: a key, or `None` for a flush.
    pending: Vec<Option<Vec<u8>>>,
    /// Set once any client has tracked: keyspaces log modified keys.
    logging: bool,
    /// The connection whose top-level command just ended, while its
    /// after-reply messages are collected.
    pending_owner: Option<ClientId>,
    /// The running script called a read-only command: its caller's
    /// declared keys are remembered once the script ends.
    script_read: bool,
    /// Connections that sent QUIT: gone as redirect targets at once, as
    /// Redis frees them right after the reply, though the host may
    /// disconnect them a little later.
    quitting: BTreeSet<ClientId>,
    /// Messages for the connection named by `pending_owner`, to follow
    /// its reply.
    after_reply: Vec<Reply>,
}

impl Tracking {
    /// Whether anything is tracked: the keyspaces' logs matter.
    pub fn is_on(&self) -> bool {
        self.logging
    }

    pub fn tracker(&self, client: ClientId) -> Option<&Tracker> {
        self.trackers.get(&client)
    }

    /// INFO's `tracking_clients`.
    pub fn clients(&self) -> usize {
        self.trackers.len()
    }

    /// INFO's `tracking_total_keys`.
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    /// INFO's `tracking_total_items`.
    pub fn total_items(&self) -> usize {
        self.items
    }

    /// INFO's `tracking_total_prefixes`.
    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Redis's `enableTracking`: options replace the old ones, BCAST
    /// prefixes add to them.
    fn enable(&mut self, client: ClientId, options: Tracker, prefixes: &[Vec<u8>]) {
        let tracker = self.trackers.entry(client).or_default();
        let kept_prefixes = std::mem::take(&mut tracker.prefixes);
        let caching = tracker.caching;
        *tracker = Tracker {
            prefixes: kept_prefixes,
            caching,
            broken_redirect: false,
            ..options
        };
        if tracker.bcast {
            let wanted: Vec<Vec<u8>> = if prefixes.is_empty() {
                vec![Vec::new()]
            } else {
                prefixes.to_vec()
            };
            for prefix in wanted {
                tracker.prefixes.insert(prefix.clone());
                self.prefixes
                    .entry(prefix)
                    .or_default()
                    .clients
                    .insert(client);
            }
        }
        self.logging = true;
    }

    /// A connection is closing (QUIT): it stops tracking and receiving.
    pub fn closing(&mut self, client: ClientId) {
        if self.logging {
            self.disable(client);
            self.quitting.insert(client);
        }
    }

    /// A connection is gone for good.
    pub fn disconnected(&mut self, client: ClientId) {
        self.disable(client);
        self.quitting.remove(&client);
    }

    /// Redis's `disableTracking` (also on disconnect). The client's entries
    /// in the tracking table are dropped lazily, as Redis does.
    pub fn disable(&mut self, client: ClientId) {
        let Some(tracker) = self.trackers.remove(&client) else {
            return;
        };
        for prefix in tracker.prefixes {
            if let Some(state) = self.prefixes.get_mut(&prefix) {
                state.clients.remove(&client);
                if state.clients.is_empty() {
                    self.prefixes.remove(&prefix);
                }
            }
        }
    }

    /// Redis's `trackingRememberKeys`: `client` read `keys`.
    fn remember(&mut self, client: ClientId, keys: impl Iterator<Item = Vec<u8>>) {
        for key in keys {
            if self.table.entry(key).or_default().insert(client) {
                self.items += 1;
            }
        }
    }
}

/// Output for one connection: a push queued now, or a message after the
/// running command's reply.
fn deliver(ctx: &mut Ctx, to: ClientId, message: Reply) {
    if to == ctx.client_id && ctx.server.tracking.pending_owner == Some(to) {
        ctx.server.tracking.after_reply.push(message);
    } else if let Some(c) = ctx.clients.get_mut(&to) {
        c.pushes.push_back(message);
    }
}

/// Redis's `sendTrackingMessage`: `payload` (an array of keys, or a null)
/// to `client`'s invalidation destination.
fn send(ctx: &mut Ctx, client: ClientId, payload: Reply) {
    let Some(tracker) = ctx.server.tracking.trackers.get(&client) else {
        return;
    };
    let redirect = tracker.redirect;
    let mut to = client;
    if redirect != 0 {
        let gone = ctx.server.tracking.quitting.contains(&redirect);
        if gone || !ctx.clients.contains_key(&redirect) {
            if let Some(t) = ctx.server.tracking.trackers.get_mut(&client) {
                t.broken_redirect = true;
            }
            if protocol_of(ctx, client) == Protocol::Resp3 {
                let broken = Reply::Push(vec![
                    Reply::bulk("tracking-redir-broken"),
                    Reply::Integer(redirect as i64),
                ]);
                deliver(ctx, client, broken);
            }
            return;
        }
        to = redirect;
    }
    let Some(target) = ctx.clients.get(&to) else {
        return;
    };
    let message = if target.protocol == Protocol::Resp3 {
        Reply::Push(vec![Reply::bulk("invalidate"), payload])
    } else if redirect != 0 && target.subscription_count() > 0 {
        Reply::Push(vec![
            Reply::bulk("message"),
            Reply::Bulk(INVALIDATE_CHANNEL.to_vec()),
            payload,
        ])
    } else {
        return;
    };
    deliver(ctx, to, message);
}

fn protocol_of(ctx: &Ctx, client: ClientId) -> Protocol {
    ctx.clients
        .get(&client)
        .map(|c| c.protocol)
        .unwrap_or_default()
}

/// Redis's `trackingInvalidateKey` for a key `modifier` changed.
fn invalidate_key(ctx: &mut Ctx, key: &[u8], modifier: Option<ClientId>) {
    let tracking = &mut ctx.server.tracking;
    for (prefix, state) in tracking.prefixes.iter_mut() {
        if key.starts_with(prefix) {
            state.keys.insert(key.to_vec(), modifier);
        }
    }
    let Some(readers) = tracking.table.remove(key) else {
        return;
    };
    tracking.items -= readers.len();
    for reader in readers {
        let Some(tracker) = ctx.server.tracking.trackers.get(&reader) else {
            continue;
        };
        if tracker.bcast {
            continue;
        }
        let own = Some(reader) == modifier;
        if own && tracker.noloop {
            continue;
        }
        if own {
            ctx.server.tracking.pending.push(Some(key.to_vec()));
        } else {
            let payload = Reply::Array(vec![Reply::Bulk(key.to_vec())]);
            send(ctx, reader, payload);
        }
    }
}

/// Redis's `trackingInvalidateKeysOnFlush`: every tracking client is told
/// all its keys are gone (a null), and the tracking table is emptied.
fn invalidate_on_flush(ctx: &mut Ctx, modifier: ClientId) {
    let trackers: Vec<ClientId> = ctx.server.tracking.trackers.keys().copied().collect();
    for client in trackers {
        if client == modifier {
            ctx.server.tracking.pending.push(None);
        } else {
            send(ctx, client, Reply::Null);
        }
    }
    ctx.server.tracking.table.clear();
    ctx.server.tracking.items = 0;
}

/// After each command call (nested ones too): the keys it modified are
/// invalidated, and the keys a read-only command read are remembered for
/// the connection. Inside a script both wait for the script's end: its
/// writes count as the caller's (NOLOOP), and a read makes the caller's
/// declared keys tracked, as in Redis.
pub fn after_call(ctx: &mut Ctx, spec: &CommandSpec, args: &[Vec<u8>], reply: &Reply) {
    let reads = spec.has(flags::READONLY)
        && !matches!(spec.name, "eval_ro" | "evalsha_ro" | "fcall_ro")
        && !spec.has(flags::PUBSUB);
    if ctx.in_script() {
        ctx.server.tracking.script_read |= reads;
        return;
    }
    let me = ctx.client_id;
    let flushed = matches!(spec.name, "flushall" | "flushdb") && !matches!(reply, Reply::Error(_));
    if flushed {
        for index in 0..ctx.db_count() {
            if let Some(db) = ctx.db_at(index) {
                db.take_modified();
            }
        }
        invalidate_on_flush(ctx, me);
    } else {
        for key in ctx.db.take_modified() {
            invalidate_key(ctx, &key, Some(me));
        }
    }
    let script = matches!(
        spec.name,
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro"
    );
    let script_read = script && std::mem::take(&mut ctx.server.tracking.script_read);
    if !(reads || script_read) {
        return;
    }
    let Some(tracker) = ctx.server.tracking.trackers.get(&me) else {
        return;
    };
    if tracker.bcast || (tracker.optin && !tracker.caching) || (tracker.optout && tracker.caching) {
        return;
    }
    let Some(positions) = crate::commands::server::command_keys(spec, args) else {
        return;
    };
    let keys = positions.into_iter().filter_map(|i| args.get(i).cloned());
    ctx.server.tracking.remember(me, keys);
}

/// Keys removed before a command ran (eviction): their invalidations go
/// out at once, before the command's reply, as in Redis.
pub(crate) fn invalidate_logged_now(ctx: &mut Ctx) {
    if !ctx.server.tracking.is_on() {
        return;
    }
    for index in 0..ctx.db_count() {
        let modified = ctx
            .db_at(index)
            .map(|db| db.take_modified())
            .unwrap_or_default();
        for key in modified {
            invalidate_key(ctx, &key, None);
        }
    }
}

/// After a blocked client was served (BLMOVE pushes, a pop empties a
/// key): the keys it changed are invalidated as its own changes, and what
/// is due to it comes after its reply (returned to be appended).
pub(crate) fn after_serving(ctx: &mut Ctx) -> Vec<Reply> {
    let mut after = Vec::new();
    if !ctx.server.tracking.is_on() {
        return after;
    }
    let served = ctx.client_id;
    ctx.server.tracking.pending_owner = Some(served);
    for key in ctx.db.take_modified() {
        invalidate_key(ctx, &key, Some(served));
    }
    for key in std::mem::take(&mut ctx.server.tracking.pending) {
        let payload = match key {
            Some(key) => Reply::Array(vec![Reply::Bulk(key)]),
            None => Reply::Null,
        };
        send(ctx, served, payload);
    }
    ctx.server.tracking.pending_owner = None;
    after.append(&mut ctx.server.tracking.after_reply);
    after
}

/// Redis's `trackingLimitUsedSlots`: over `tracking-table-max-keys`, keys
/// are dropped from the tracking table (in key order here, where Redis
/// walks at random) and their readers told, as if the keys changed.
fn limit_table(ctx: &mut Ctx) {
    let max: usize = ctx
        .server
        .config
        .get("tracking-table-max-keys")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if max == 0 {
        return;
    }
    while ctx.server.tracking.table.len() > max {
        let Some(key) = ctx.server.tracking.table.keys().next().cloned() else {
            return;
        };
        invalidate_key(ctx, &key, None);
    }
}

impl Engine {
    /// After a top-level command of `id`: invalidates keys modified outside
    /// any call (served blocked clients), appends to the reply the
    /// invalidations due to the connection itself, sends the BCAST
    /// messages, and ends a CLIENT CACHING that applied to this command.
    pub(crate) fn finish_tracking(&mut self, id: ClientId, now_ms: i64, outcome: &mut Outcome) {
        if !self.server.tracking.is_on() {
            return;
        }
        self.sync_modified_logs();
        let mut ctx = self.context(id, now_ms);
        ctx.server.tracking.pending_owner = Some(id);
        for index in 0..ctx.db_count() {
            let modified = ctx
                .db_at(index)
                .map(|db| db.take_modified())
                .unwrap_or_default();
            for key in modified {
                invalidate_key(&mut ctx, &key, None);
            }
        }
        for key in std::mem::take(&mut ctx.server.tracking.pending) {
            let payload = match key {
                Some(key) => Reply::Array(vec![Reply::Bulk(key)]),
                None => Reply::Null,
            };
            send(&mut ctx, id, payload);
        }
        broadcast(&mut ctx);
        limit_table(&mut ctx);
        ctx.server.tracking.pending_owner = None;
        let after_reply = std::mem::take(&mut ctx.server.tracking.after_reply);
        let client_command = ctx
            .clients
            .get(&id)
            .is_some_and(|c| c.multi.is_some() || c.last_command.starts_with("client|"));
        if !client_command {
            if let Some(t) = ctx.server.tracking.trackers.get_mut(&id) {
                t.caching = false;
            }
        }
        if !after_reply.is_empty() && !outcome.blocked {
            let mut reply = std::mem::replace(&mut outcome.reply, Reply::Many(Vec::new()));
            let mut all = match &mut reply {
                Reply::Many(replies) => std::mem::take(replies),
                _ => vec![reply],
            };
            all.extend(after_reply);
            outcome.reply = Reply::Many(all);
        } else if let Some(c) = self.clients.get_mut(&id) {
            c.pushes.extend(after_reply);
        }
    }

    /// Invalidates keys removed by the active expiry cycle (no client
    /// changed them, so NOLOOP spares nobody).
    pub(crate) fn tracking_after_expiry(&mut self, now_ms: i64) {
        let Some(&anyone) = self.clients.keys().next() else {
            return;
        };
        if !self.server.tracking.is_on() {
            return;
        }
        let mut ctx = self.context(anyone, now_ms);
        for index in 0..ctx.db_count() {
            let modified = ctx
                .db_at(index)
                .map(|db| db.take_modified())
                .unwrap_or_default();
            for key in modified {
                invalidate_key(&mut ctx, &key, None);
            }
        }
        broadcast(&mut ctx);
    }

    /// Makes every database log modified keys while tracking is on (a
    /// flushed or swapped database may have lost the setting).
    fn sync_modified_logs(&mut self) {
        self.db.log_modified(true);
        for db in &mut self.server.parked_dbs {
            db.log_modified(true);
        }
    }

    fn context(&mut self, id: ClientId, now_ms: i64) -> Ctx<'_> {
        Ctx {
            db: &mut self.db,
            clients: &mut self.clients,
            server: &mut self.server,
            client_id: id,
            now_ms,
            caller: crate::command::Caller::Client,
            cost_ns: 0,
        }
    }
}

/// Redis's `trackingBroadcastInvalidationMessages`: each prefix's
/// collected keys to each of its clients (without the keys a NOLOOP client
/// modified itself), then the collections start afresh.
fn broadcast(ctx: &mut Ctx) {
    let mut messages = Vec::new();
    for state in ctx.server.tracking.prefixes.values_mut() {
        if state.keys.is_empty() {
            continue;
        }
        let keys = std::mem::take(&mut state.keys);
        for &client in &state.clients {
            messages.push((client, keys.clone()));
        }
    }
    for (client, keys) in messages {
        let noloop = ctx
            .server
            .tracking
            .trackers
            .get(&client)
            .is_some_and(|t| t.noloop);
        let listed: Vec<Reply> = keys
            .into_iter()
            .filter(|(_, modifier)| !(noloop && *modifier == Some(client)))
            .map(|(key, _)| Reply::Bulk(key))
            .collect();
        if listed.is_empty() {
            continue;
        }
        send(ctx, client, Reply::Array(listed));
    }
}

#[cfg(test)]
mod tests;
