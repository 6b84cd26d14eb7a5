//! Pub/sub delivery: messages a node pushes on subscribed connections
//! travel the network like replies, wait in a paused subscriber's socket,
//! and are lost when the subscriber is gone, cut off, or dropped by the
//! node for letting its output buffer grow past
//! `client-output-buffer-limit pubsub`.
//!
//! The node's view of a connection's output buffer is what it pushed that
//! the subscriber has not read yet: frames on the wire and frames sitting
//! in a paused process's socket. (Redis counts its own reply blocks, and
//! the kernel's socket buffers hide some of it; the simulation counts the
//! RESP bytes, so limits bite at about the size Redis's do.)

use lockstep_engine::{encode, ClientId, Reply};
use lockstep_lua::mlua::{IntoLuaMulti, MultiValue, Value};

use super::{Body, Message, Pending, World};
use crate::actor::ActorId;
use crate::client::inbox::Delivery;
use crate::client::{lua_error_text, Waiting};
use crate::clock::ms;
use crate::trace::{quote, Time, What};

/// What a node knows of one subscribed connection's output.
#[derive(Clone, Debug, Default)]
pub(super) struct Outbound {
    /// Bytes pushed and not yet read by the subscriber.
    unread: u64,
    /// Node-clock second when the soft limit was first found exceeded
    /// (Redis's `obuf_soft_limit_reached_time`).
    soft_since_s: Option<i64>,
    /// The node closed it: frames still on the way are lost.
    closed: bool,
}

/// `client-output-buffer-limit`'s pubsub class: hard bytes, soft bytes,
/// soft seconds (0 turns a limit off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PubsubLimit {
    pub hard: u64,
    pub soft: u64,
    pub soft_seconds: i64,
}

impl PubsubLimit {
    /// Reads the pubsub class out of the config's normalised value
    /// (`normal 0 0 0 slave ... pubsub 33554432 8388608 60`).
    pub fn from_config(value: &str) -> PubsubLimit {
        let words: Vec<&str> = value.split_whitespace().collect();
        let at = words.iter().position(|w| w.eq_ignore_ascii_case("pubsub"));
        let number = |i: usize| -> Option<i64> { words.get(at? + i)?.parse().ok() };
        PubsubLimit {
            hard: number(1).unwrap_or(0).max(0) as u64,
            soft: number(2).unwrap_or(0).max(0) as u64,
            soft_seconds: number(3).unwrap_or(0),
        }
    }

    /// Redis's `checkClientOutputBufferLimits`: over the hard limit closes
    /// at once; over the soft limit closes once it has stayed over for
    /// more than `soft_seconds` (whole seconds of the server's clock),
    /// counted from the first write that found it over. A write that finds
    /// the buffer under the soft limit resets that count.
    fn reached(&self, used: u64, now_s: i64, soft_since_s: &mut Option<i64>) -> bool {
        let hard = self.hard > 0 && used >= self.hard;
        let mut soft = self.soft > 0 && used >= self.soft;
        if soft {
            match soft_since_s {
                None => {
                    *soft_since_s = Some(now_s);
                    soft = false;
                }
                Some(since) => soft = now_s - *since > self.soft_seconds,
            }
        } else {
            *soft_since_s = None;
        }
        hard || soft
    }
}

impl World {
    /// Sends what the last command pushed (PUBLISH's messages) to each
    /// subscriber's connection, `extra` µs from now (after the command's
    /// own cost), closing connections whose output passes the limit.
    pub(super) fn route_pushes(&mut self, node: usize, extra: Time) {
        let ids = self.nodes[node].engine.clients_with_pushes();
        if ids.is_empty() {
            return;
        }
        let limit = PubsubLimit::from_config(
            self.nodes[node]
                .engine
                .config()
                .get("client-output-buffer-limit")
                .unwrap_or_default(),
        );
        let now_s = self.nodes[node].now_ms(self.now).div_euclid(1000);
        for conn in ids {
            let pushes = self.nodes[node].engine.take_pushes(conn);
            let owner = self.nodes[node]
                .connections
                .iter()
                .find(|(_, &id)| id == conn)
                .map(|(&key, _)| key);
            // Connections the simulator opened itself (seed data) have no
            // reader: their pushes go nowhere.
            let Some((actor, task)) = owner else {
                continue;
            };
            let protocol = self.nodes[node].engine.protocol(conn);
            for reply in pushes {
                let bytes = encode::to_bytes(&reply, protocol).len() as u64;
                let out = self.outbound.entry((node, conn)).or_default();
                out.unread += bytes;
                if limit.reached(out.unread, now_s, &mut out.soft_since_s) {
                    let reason = format!(
                        "output buffer limit (client-output-buffer-limit pubsub {} {} {}): {} bytes unread",
                        limit.hard, limit.soft, limit.soft_seconds, out.unread
                    );
                    self.close_connection(node, conn, actor, task, &reason);
                    break;
                }
                let body = Body::Push {
                    task,
                    conn,
                    reply,
                    bytes,
                };
                self.send(ActorId::node(node), actor, body, extra);
            }
        }
    }

    /// The node drops a client's connection: its subscriptions end, the
    /// output it held is gone, and the client learns it when the close
    /// reaches it.
    fn close_connection(
        &mut self,
        node: usize,
        conn: ClientId,
        actor: ActorId,
        task: u32,
        reason: &str,
    ) {
        self.emit(
            ActorId::node(node),
            What::Disconnect {
                client: self.name(actor).to_string(),
                reason: reason.to_string(),
            },
        );
        let n = &mut self.nodes[node];
        n.engine.disconnect(conn);
        n.connections.remove(&(actor, task));
        let out = self.outbound.entry((node, conn)).or_default();
        out.closed = true;
        out.unread = 0;
        let reason = format!("connection closed by {}: {reason}", self.node_name(node));
        self.send(ActorId::node(node), actor, Body::Closed { task, reason }, 0);
    }

    /// A killed process's sockets close with it (its OS sends the FIN):
    /// every node forgets its connections, subscriptions and blocked calls
    /// at once.
    pub(super) fn close_connections_of(&mut self, actor: ActorId) {
        for node in 0..self.nodes.len() {
            let keys: Vec<(ActorId, u32)> = self.nodes[node]
                .connections
                .keys()
                .filter(|(a, _)| *a == actor)
                .copied()
                .collect();
            for key in keys {
                let Some(conn) = self.nodes[node].connections.remove(&key) else {
                    continue;
                };
                if self.nodes[node].up {
                    self.nodes[node].engine.disconnect(conn);
                }
                self.nodes[node].blocked.remove(&conn);
                self.nodes[node]
                    .held_behind_block
                    .retain(|(held, _)| *held != conn);
                self.outbound.entry((node, conn)).or_default().closed = true;
            }
        }
    }

    /// A client drops its connections to `node`: the node forgets them
    /// (subscriptions, blocked calls), and each task that was waiting on
    /// one — for a reply or a message — fails now with `reason`.
    pub(super) fn reset_connections(&mut self, process: usize, node: usize, reason: String) {
        if self.deferred(
            process,
            Pending::ConnectionReset {
                process,
                node,
                reason: reason.clone(),
            },
        ) {
            return;
        }
        let actor = self.processes[process].actor;
        let keys: Vec<(ActorId, u32)> = self.nodes[node]
            .connections
            .keys()
            .filter(|(a, _)| *a == actor)
            .copied()
            .collect();
        for key in &keys {
            if let Some(conn) = self.nodes[node].connections.remove(key) {
                if self.nodes[node].up {
                    self.nodes[node].engine.disconnect(conn);
                }
                self.nodes[node].blocked.remove(&conn);
                self.outbound.entry((node, conn)).or_default().closed = true;
            }
        }
        let tasks: Vec<u32> = self.processes[process].tasks.keys().copied().collect();
        for task in tasks {
            let waiting = self.processes[process].tasks.get(&task).map(|t| t.waiting);
            match waiting {
                Some(Waiting::Reply { to, .. }) if to == ActorId::node(node) => {
                    self.resume_with(process, task, false, Value::Nil, Some(reason.clone()))
                }
                _ if keys.contains(&(actor, task)) => {
                    self.deliver_to_task(process, task, Err(reason.clone()))
                }
                _ => {}
            }
        }
    }

    /// A node's connections died with it (crash) or belong to an earlier
    /// life (restart): forget their output.
    pub(super) fn forget_outbound(&mut self, node: usize) {
        self.outbound.retain(|(n, _), _| *n != node);
        self.in_order
            .retain(|(from, _, _), _| *from != ActorId::node(node));
    }

    /// A pushed frame was lost on the way: the node no longer holds it.
    pub(super) fn push_lost(&mut self, from: ActorId, body: &Body) {
        if let (Body::Push { conn, bytes, .. }, Some(node)) = (body, from.as_node()) {
            if let Some(out) = self.outbound.get_mut(&(node, *conn)) {
                out.unread = out.unread.saturating_sub(*bytes);
            }
        }
    }

    /// When a frame from `from` to `to` may arrive: never before an earlier
    /// frame of the same connection, once that connection carries pushes.
    pub(super) fn keep_in_order(&mut self, from: ActorId, to: ActorId, id: u64, at: Time) -> Time {
        let Some(message) = self.network.get(id) else {
            return at;
        };
        let (task, starts_stream) = match &message.body {
            Body::Push { task, .. } | Body::Closed { task, .. } => (*task, true),
            Body::Reply { task, reply, .. } => (*task, matches!(reply, Reply::Many(_))),
            _ => return at,
        };
        let key = (from, to, task);
        let last = self.in_order.get(&key).copied();
        if last.is_none() && !starts_stream {
            return at;
        }
        let at = at.max(last.unwrap_or(0));
        self.in_order.insert(key, at);
        at
    }

    /// A pushed frame reaches a client.
    pub(super) fn client_push(
        &mut self,
        actor: ActorId,
        from: ActorId,
        msg: u64,
        push: (u32, ClientId, Reply, u64),
    ) {
        let (task, conn, reply, bytes) = push;
        let drop = |world: &mut World, reason: &str| {
            world.emit(
                from,
                What::Drop {
                    from: world.name(from).to_string(),
                    to: world.name(actor).to_string(),
                    msg,
                    reason: reason.to_string(),
                },
            );
        };
        let Some(node) = from.as_node() else {
            return;
        };
        if self.outbound.get(&(node, conn)).is_some_and(|o| o.closed) {
            return drop(self, "the connection was closed");
        }
        let Some(process) = self.process_of(actor) else {
            return;
        };
        let p = &self.processes[process];
        if !p.alive || p.finished {
            if p.killed() {
                // A subscription made by a command that reached the node
                // after the kill: the closed socket ends it now.
                self.close_connections_of(actor);
            }
            self.push_lost(
                from,
                &Body::Push {
                    task,
                    conn,
                    reply: Reply::Null,
                    bytes,
                },
            );
            return drop(self, "the subscriber is not running");
        }
        if let Some(until) = p.paused_until {
            // It waits in the socket, still unread as far as the node knows.
            let body = Body::Push {
                task,
                conn,
                reply,
                bytes,
            };
            self.network.put_back(
                msg,
                Message {
                    from,
                    to: actor,
                    body,
                },
            );
            self.schedule(until, Pending::Deliver(msg));
            return;
        }
        if let Some(out) = self.outbound.get_mut(&(node, conn)) {
            out.unread = out.unread.saturating_sub(bytes);
        }
        let Some(delivery) = Delivery::parse(&reply) else {
            return;
        };
        if let Delivery::Message {
            pattern,
            channel,
            data,
        } = &delivery
        {
            self.emit(
                actor,
                What::Message {
                    from: self.name(from).to_string(),
                    msg,
                    task,
                    channel: quote(channel),
                    pattern: pattern.as_deref().map(quote),
                    text: quote(data),
                },
            );
        }
        self.deliver_to_task(process, task, Ok(delivery));
    }

    /// The node's close reaches the client: a task waiting for a message
    /// or a reply on that connection hears of it now.
    pub(super) fn client_closed(
        &mut self,
        actor: ActorId,
        from: ActorId,
        task: u32,
        reason: String,
    ) {
        let Some(process) = self.process_of(actor) else {
            return;
        };
        let p = &self.processes[process];
        if !p.alive || p.finished {
            return;
        }
        // A newer connection (the task called again since) is not closed.
        let Some(node) = from.as_node() else {
            return;
        };
        if self.nodes[node].connections.contains_key(&(actor, task)) {
            return;
        }
        if let Some(until) = p.paused_until {
            let body = Body::Closed { task, reason };
            let id = self.network.put(Message {
                from,
                to: actor,
                body,
            });
            self.schedule(until, Pending::Deliver(id));
            return;
        }
        let waiting = self.processes[process].tasks.get(&task).map(|t| t.waiting);
        if let Some(Waiting::Reply { to, .. }) = waiting {
            if to == from {
                return self.resume_with(process, task, false, Value::Nil, Some(reason));
            }
        }
        self.deliver_to_task(process, task, Err(reason));
    }

    /// Hands a delivery (or the news that the connection closed) to a task
    /// waiting in `next_message`, or leaves it in the task's inbox.
    fn deliver_to_task(&mut self, process: usize, task: u32, delivery: Result<Delivery, String>) {
        let waiting = self.processes[process].tasks.get(&task).map(|t| t.waiting);
        let Some(waiting) = waiting else {
            return;
        };
        let inbox = self.processes[process].inboxes.entry(task).or_default();
        match delivery {
            Ok(delivery) => inbox.items.push_back(delivery),
            Err(reason) => inbox.closed = Some(reason),
        }
        if matches!(waiting, Waiting::Message { .. }) {
            if let Some(answer) = self.take_message(process, task, Some(0.0)) {
                if let Some(t) = self.processes[process].tasks.get_mut(&task) {
                    t.waiting = Waiting::Nothing;
                }
                self.run_task(process, task, answer);
            }
        }
    }

    /// `next_message`: what is in the inbox, or the closed connection's
    /// reason, or — with no wait allowed — a timeout. `None` when the task
    /// has to wait for it.
    pub(super) fn take_message(
        &mut self,
        process: usize,
        task: u32,
        timeout_ms: Option<f64>,
    ) -> Option<MultiValue> {
        let lua = self.clients.lua();
        let inbox = self.processes[process].inboxes.entry(task).or_default();
        let answer = if let Some(delivery) = inbox.items.pop_front() {
            if let (Some(writes), Delivery::Message { channel, data, .. }) =
                (self.writes.as_mut(), &delivery)
            {
                let actor = self.processes[process].actor;
                writes.taken(self.roster.name(actor), channel, data);
            }
            delivery.to_lua(lua).map(|v| (v,).into_lua_multi(lua))
        } else if let Some(reason) = inbox.closed.clone() {
            Ok((Value::Nil, reason).into_lua_multi(lua))
        } else if timeout_ms == Some(0.0) {
            Ok((Value::Nil, "timeout").into_lua_multi(lua))
        } else {
            return None;
        };
        match answer.and_then(|a| a) {
            Ok(values) => Some(values),
            Err(error) => {
                let text = lua_error_text(&error);
                Some((Value::Nil, text).into_lua_multi(lua).unwrap_or_default())
            }
        }
    }

    /// `next_message` found nothing: the task waits, until `timeout_ms` if
    /// given.
    pub(super) fn wait_for_message(&mut self, process: usize, task: u32, timeout_ms: Option<f64>) {
        let token = self.next_token;
        self.next_token += 1;
        if let Some(t) = self.processes[process].tasks.get_mut(&task) {
            t.waiting = Waiting::Message { token };
        }
        if let Some(timeout) = timeout_ms {
            self.schedule(
                self.now + ms(timeout),
                Pending::MessageTimeout {
                    process,
                    task,
                    token,
                },
            );
        }
    }

    pub(super) fn message_timeout(&mut self, process: usize, task: u32, token: u64) {
        if self.deferred(
            process,
            Pending::MessageTimeout {
                process,
                task,
                token,
            },
        ) {
            return;
        }
        let waiting = self.processes[process].tasks.get(&task).map(|t| t.waiting);
        if waiting != Some(Waiting::Message { token }) {
            return;
        }
        if let Some(t) = self.processes[process].tasks.get_mut(&task) {
            t.waiting = Waiting::Nothing;
        }
        let answer = (Value::Nil, "timeout").into_lua_multi(self.clients.lua());
        match answer {
            Ok(args) => self.run_task(process, task, args),
            Err(error) => self.task_ended(process, task, Some(lua_error_text(&error))),
        }
    }

    /// The reply to SUBSCRIBE (or UNSUBSCRIBE ...) of several channels is
    /// several frames on the wire: a client reading one reply gets the
    /// first, and the rest wait in the connection's inbox.
    pub(super) fn first_of_many(&mut self, process: usize, task: u32, reply: Reply) -> Reply {
        let Reply::Many(items) = &reply else {
            return reply;
        };
        let mut items = items.iter().cloned();
        let first = items.next().unwrap_or(Reply::Null);
        let inbox = self.processes[process].inboxes.entry(task).or_default();
        inbox
            .items
            .extend(items.filter_map(|r| Delivery::parse(&r)));
        first
    }
}

#[cfg(test)]
mod tests {
    use super::PubsubLimit;

    #[test]
    fn reads_the_pubsub_class_of_the_normalised_config() {
        let limit = PubsubLimit::from_config(
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        );
        assert_eq!(
            limit,
            PubsubLimit {
                hard: 33554432,
                soft: 8388608,
                soft_seconds: 60
            }
        );
    }

    #[test]
    fn soft_limit_closes_only_after_staying_over_for_more_than_its_seconds() {
        let limit = PubsubLimit {
            hard: 0,
            soft: 100,
            soft_seconds: 2,
        };
        let mut since = None;
        assert!(!limit.reached(150, 10, &mut since), "first time over");
        assert_eq!(since, Some(10));
        assert!(
            !limit.reached(150, 12, &mut since),
            "2 s is not more than 2"
        );
        assert!(!limit.reached(50, 12, &mut since), "under again: reset");
        assert_eq!(since, None);
        assert!(!limit.reached(150, 13, &mut since));
        assert!(limit.reached(150, 16, &mut since));
    }

    #[test]
    fn hard_limit_closes_at_once() {
        let limit = PubsubLimit {
            hard: 100,
            soft: 0,
            soft_seconds: 0,
        };
        let mut since = None;
        assert!(!limit.reached(99, 0, &mut since));
        assert!(limit.reached(100, 0, &mut since));
    }
}
