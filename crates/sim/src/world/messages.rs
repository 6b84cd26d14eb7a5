//! Sending and delivering messages: latency, loss and partitions.

use super::{Body, Message, Pending, World};
use crate::actor::ActorId;
use crate::scenario::InFlight;
use crate::trace::{Time, What};

impl World {
    /// Puts a message on the wire from `from` to `to`, `extra` µs later
    /// than the link's own latency (a replica's configured lag). Returns
    /// its id.
    pub(super) fn send(&mut self, from: ActorId, to: ActorId, body: Body, extra: Time) -> u64 {
        // Replication between servers retransmits until it gets through: only
        // partitions stop it, not random loss.
        let reliable = matches!(
            body,
            Body::Replicate { .. }
                | Body::Ack { .. }
                | Body::Append { .. }
                | Body::AppendAck { .. }
        );
        let id = self.network.put(Message { from, to, body });
        if self.is_operator(from) || self.is_operator(to) {
            // The operator works on the node's own host: no network between.
            self.schedule(self.now + extra, Pending::Deliver(id));
            return id;
        }
        let fault = if reliable {
            None
        } else if self.network.lost_one_way(from, to, self.now) {
            Some("lost one way (lose_one_way)")
        } else if self
            .network
            .get(id)
            .is_some_and(|m| matches!(m.body, Body::Reply { .. }))
            && self.lose_next_reply.remove(&to)
        {
            Some("reply lost (lose_reply)")
        } else {
            None
        };
        let lost = match fault {
            Some(reason) => Some(reason),
            None if !reliable && self.network.loses(from, to, &mut self.rng) => {
                Some("lost on the network")
            }
            None => None,
        };
        if let Some(reason) = lost {
            if let Some(lost) = self.network.take(id) {
                self.push_lost(from, &lost.body);
            }
            self.emit(
                from,
                What::Drop {
                    from: self.name(from).to_string(),
                    to: self.name(to).to_string(),
                    msg: id,
                    reason: reason.into(),
                },
            );
            return id;
        }
        let latency =
            self.network.latency(from, to, &mut self.rng) + self.network.spike(from, to, self.now);
        let at = self.keep_in_order(from, to, id, self.now + latency + extra);
        self.schedule(at, Pending::Deliver(id));
        id
    }

    pub(super) fn deliver(&mut self, id: u64) {
        let Some(message) = self.network.take(id) else {
            return;
        };
        let local = self.is_operator(message.from) || self.is_operator(message.to);
        if !local && !self.network.connected(message.from, message.to) {
            match self.network.in_flight {
                InFlight::Drop => {
                    if matches!(message.body, Body::Request { .. }) {
                        self.request_lost(message.to);
                    }
                    self.push_lost(message.from, &message.body);
                    self.emit(
                        message.from,
                        What::Drop {
                            from: self.name(message.from).to_string(),
                            to: self.name(message.to).to_string(),
                            msg: id,
                            reason: "partitioned".into(),
                        },
                    );
                }
                InFlight::Delay => {
                    self.network.hold(id, message);
                }
            }
            return;
        }
        let Message { from, to, body } = message;
        match body {
            Body::Reply { call, reply, .. } if self.is_operator(to) => {
                self.operator_reply(from, call, reply)
            }
            Body::Closed { reason, .. } if self.is_operator(to) => {
                self.operator_closed(from, &reason)
            }
            _ if self.is_operator(to) => {}
            Body::Command { task, args } => {
                if let Some(node) = to.as_node() {
                    self.node_receive(node, from, task, id, args)
                }
            }
            Body::Pipeline { task, commands } => {
                if let Some(node) = to.as_node() {
                    self.node_receive_pipeline(node, from, task, commands)
                }
            }
            answer @ (Body::Reply { .. }
            | Body::WriteResult { .. }
            | Body::QueryResult { .. }
            | Body::ConsensusAnswer { .. }) => self.client_receive(to, from, answer),
            Body::ConsensusRequest { task, op } => self.consensus_receive(to, from, task, id, op),
            Body::Append { term, index, store } => self.member_append(to, from, term, index, store),
            Body::AppendAck { term, index } => self.member_ack(to, from, term, index),
            Body::Write { task, request } => self.resource_receive(to, from, task, id, request),
            Body::Replicate { offset, data, full } => {
                if let (Some(replica), Some(primary)) = (to.as_node(), from.as_node()) {
                    self.replica_receive(replica, primary, offset, data, full)
                }
            }
            Body::Ack { offset } => {
                if let (Some(primary), Some(replica)) = (to.as_node(), from.as_node()) {
                    self.primary_receive_ack(primary, replica, offset)
                }
            }
            Body::Push {
                task,
                conn,
                reply,
                bytes,
            } => self.client_push(to, from, id, (task, conn, reply, bytes)),
            Body::Closed { task, reason } => self.client_closed(to, from, task, reason),
            Body::Query { task, query } => self.database_receive(to, from, task, id, query),
            Body::Request { traffic, request } => {
                self.request_arrives(to, from, id, traffic, request)
            }
        }
    }

    /// After a heal, messages held by the partition go on their way.
    pub(super) fn release_held(&mut self) {
        for id in self.network.take_held() {
            let Some(&Message { from, to, .. }) = self.network.get(id) else {
                continue;
            };
            let latency = self.network.latency(from, to, &mut self.rng);
            self.schedule(self.now + latency, Pending::Deliver(id));
        }
    }
}
