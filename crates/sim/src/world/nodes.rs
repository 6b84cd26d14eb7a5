//! Redis nodes in the world: routing commands to them in simulated time
//! (queued behind a busy node, replies and pushes), the replication
//! stream, failover (promotion, demotion, full sync) and carrying out the
//! sentinel's actions. What a node decides alone is in `crate::node`; the
//! sentinel's decisions in `crate::sentinel`.

use std::rc::Rc;

use lockstep_engine::scripting::BusyAnswer;
use lockstep_engine::{Dataset, Reply};

use super::{Body, Pending, World};
use crate::actor::ActorId;
use crate::node::{word, Intercepted, Queued, Running, WaitCall};
use crate::sentinel::{self, Action, BusyScript, NodeView};
use crate::trace::{command_text, reply_text, What};

/// Commands cheaper than this finish inline: the node is not marked busy
/// for them (they cost a few simulated µs).
const INLINE_COST_US: u64 = 100;

impl World {
    /// Sends `reply` from `node` to the task that sent message `call`.
    pub(super) fn reply_to(
        &mut self,
        node: usize,
        to: ActorId,
        task: u32,
        call: u64,
        reply: Reply,
    ) {
        self.send(
            ActorId::node(node),
            to,
            Body::Reply { task, call, reply },
            0,
        );
    }

    /// A command arrives at a node.
    pub(super) fn node_receive(
        &mut self,
        node: usize,
        from: ActorId,
        task: u32,
        msg: u64,
        args: Vec<Vec<u8>>,
    ) {
        if !self.nodes[node].up {
            let reply = Reply::error(format!(
                "connection refused: {} is down",
                self.node_name(node)
            ));
            self.emit(
                ActorId::node(node),
                What::Drop {
                    from: self.name(from).to_string(),
                    to: self.node_name(node).to_string(),
                    msg,
                    reason: "node is down: connection refused".into(),
                },
            );
            self.reply_to(node, from, task, msg, reply);
            return;
        }
        if self.nodes[node].running.is_some() {
            let command = Queued {
                msg,
                from,
                task,
                args,
            };
            match self.answer_while_busy(node, command) {
                None => {
                    if self.nodes[node].running.is_none() {
                        self.drain_queue(node);
                    }
                }
                Some(waiting) => self.nodes[node].queue.push_back(waiting),
            }
            return;
        }
        self.execute(
            node,
            Queued {
                msg,
                from,
                task,
                args,
            },
        );
    }

    /// How a node running a script past `busy-reply-threshold` answers
    /// `command` (BUSY, SCRIPT KILL, SHUTDOWN NOSAVE); gives the command
    /// back if it has to wait its turn instead.
    fn answer_while_busy(&mut self, node: usize, command: Queued) -> Option<Queued> {
        let Some(answer) = self.nodes[node].busy_answer(&command.args, self.now) else {
            return Some(command);
        };
        let Queued {
            msg,
            from,
            task,
            args,
        } = command;
        let (reply, text) = match answer {
            BusyAnswer::Defer => {
                return Some(Queued {
                    msg,
                    from,
                    task,
                    args,
                })
            }
            BusyAnswer::Reply(reply) => {
                let text = reply_text(&reply);
                self.emit(
                    ActorId::node(node),
                    What::Busy {
                        from: self.name(from).to_string(),
                        msg,
                        reply: text,
                    },
                );
                self.reply_to(node, from, task, msg, reply);
                return None;
            }
            BusyAnswer::Kill => {
                self.kill_script(node);
                (Some(Reply::ok()), "OK".to_string())
            }
            BusyAnswer::Shutdown => (None, "(the node shuts down without saving)".to_string()),
        };
        self.emit(
            ActorId::node(node),
            What::Exec {
                from: self.name(from).to_string(),
                msg,
                command: command_text(&args),
                reply: text,
                cost_us: 0,
            },
        );
        match reply {
            Some(reply) => {
                self.reply_to(node, from, task, msg, reply);
            }
            None => self.shut_down(node, false, (from, task)),
        }
        None
    }

    /// The running script has just passed `busy-reply-threshold`: commands
    /// already waiting get their BUSY answers now, as Redis starts reading
    /// its clients again at that point.
    pub(super) fn busy_threshold(&mut self, node: usize, run: u64) {
        if self.nodes[node].running.as_ref().map(|r| r.id) != Some(run) {
            return;
        }
        let waiting: Vec<Queued> = self.nodes[node].queue.drain(..).collect();
        let mut rest = waiting.into_iter();
        for command in rest.by_ref() {
            if let Some(command) = self.answer_while_busy(node, command) {
                self.nodes[node].queue.push_back(command);
            }
            if self.nodes[node].running.is_none() {
                break;
            }
        }
        self.nodes[node].queue.extend(rest);
        if self.nodes[node].running.is_none() {
            self.drain_queue(node);
        }
    }

    /// Runs a command now on an idle node.
    fn execute(&mut self, node: usize, command: Queued) {
        let Queued {
            msg,
            from,
            task,
            args,
        } = command;
        if let Some(reply) = self.intercept(node, from, &args) {
            self.emit(
                ActorId::node(node),
                What::Exec {
                    from: self.name(from).to_string(),
                    msg,
                    command: command_text(&args),
                    reply: reply_text(&reply),
                    cost_us: 0,
                },
            );
            self.reply_to(node, from, task, msg, reply);
            return;
        }
        if word(&args, 0) == "shutdown" {
            self.shutdown_command(node, from, task, msg, &args);
            return;
        }
        if word(&args, 0) == "wait" {
            // WAIT answers later, or now: `intercept` handled the errors.
            self.start_wait(node, from, task, msg, &args);
            return;
        }
        let addr = self.name(from).to_string();
        let primary = self.nodes[node]
            .replica_of
            .map(|p| self.node_name(p).to_string());
        let n = &mut self.nodes[node];
        let conn = n.connection_for(from, task, &addr, primary.as_deref(), self.now);
        let command = Queued {
            msg,
            from,
            task,
            args,
        };
        let Some(Queued { args, .. }) = n.hold_if_blocked(conn, command) else {
            return;
        };
        let (outcome, script) = n.run_command(conn, &args, self.now);
        self.node_logs(node);
        if outcome.blocked {
            let command = Queued {
                msg,
                from,
                task,
                args,
            };
            self.blocked(node, conn, command);
            self.after_blocking(node);
            return;
        }
        if outcome.cost_us < INLINE_COST_US {
            self.emit(
                ActorId::node(node),
                What::Exec {
                    from: self.name(from).to_string(),
                    msg,
                    command: command_text(&args),
                    reply: reply_text(&outcome.reply),
                    cost_us: outcome.cost_us,
                },
            );
            self.route_pushes(node, outcome.cost_us);
            self.after_write_by(node, (from, task));
            self.after_admin(node, &args, &outcome.reply);
            self.send(
                ActorId::node(node),
                from,
                Body::Reply {
                    task,
                    call: msg,
                    reply: outcome.reply,
                },
                outcome.cost_us,
            );
            self.after_blocking(node);
            return;
        }
        let run = self.next_run;
        self.next_run += 1;
        let ends = self.now + outcome.cost_us;
        let is_script = script.is_some();
        self.nodes[node].running = Some(Running {
            id: run,
            started: self.now,
            ends,
            msg,
            from,
            task,
            args,
            reply: outcome.reply,
            script,
        });
        self.emit(
            ActorId::node(node),
            What::ScriptStart {
                from: self.name(from).to_string(),
                msg,
                busy_until_us: ends,
            },
        );
        self.schedule(ends, Pending::NodeDone { node, run });
        // A script's PUBLISH goes out when the node is free to write.
        self.route_pushes(node, outcome.cost_us);
        let threshold = self.now + self.nodes[node].busy_threshold_us() + 1;
        if is_script && threshold < ends {
            self.schedule(threshold, Pending::BusyThreshold { node, run });
        }
    }

    /// Commands the node answers before the engine, because they are
    /// about the world (roles, replicas) rather than the data: the node
    /// decides (`crate::node::role`), the world carries out a change of
    /// role.
    fn intercept(&mut self, node: usize, from: ActorId, args: &[Vec<u8>]) -> Option<Reply> {
        let nodes = &self.nodes;
        let node_named = |name: &str| nodes.iter().position(|n| n.spec.name == name);
        let intercepted =
            self.nodes[node].intercept(node, args, from == ActorId::World, node_named)?;
        Some(match intercepted {
            Intercepted::Answer(reply) => reply,
            Intercepted::Promote => {
                self.promote(node, "REPLICAOF NO ONE");
                Reply::ok()
            }
            Intercepted::Follow(primary) => {
                self.make_replica(node, primary);
                Reply::ok()
            }
        })
    }

    /// The long command is over: reply and take the next in line.
    pub(super) fn node_done(&mut self, node: usize, run: u64) {
        let Some(running) = self.nodes[node].running.take_if(|r| r.id == run) else {
            return;
        };
        self.emit(
            ActorId::node(node),
            What::Exec {
                from: self.name(running.from).to_string(),
                msg: running.msg,
                command: command_text(&running.args),
                reply: reply_text(&running.reply),
                cost_us: running.ends - running.started,
            },
        );
        self.after_write_by(node, (running.from, running.task));
        self.after_admin(node, &running.args, &running.reply);
        let reply = running.reply;
        self.reply_to(node, running.from, running.task, running.msg, reply);
        self.after_blocking(node);
        self.drain_queue(node);
    }

    /// Runs queued commands until one keeps the node busy again.
    fn drain_queue(&mut self, node: usize) {
        while self.nodes[node].up && self.nodes[node].running.is_none() {
            let Some(next) = self.nodes[node].queue.pop_front() else {
                break;
            };
            self.execute(node, next);
        }
        self.schedule_expiry(node);
    }

    /// SCRIPT KILL accepted: the script stops now, as if it had been
    /// stopped by Redis at this point. It had not written (or the kill
    /// would have been refused), so its data is what it was before; it is
    /// replayed up to this point to give the exact error its caller gets.
    fn kill_script(&mut self, node: usize) {
        let Some((running, reply)) = self.nodes[node].kill_script(self.now) else {
            return;
        };
        let elapsed = self.now - running.started;
        self.emit(
            ActorId::node(node),
            What::Exec {
                from: self.name(running.from).to_string(),
                msg: running.msg,
                command: command_text(&running.args),
                reply: reply_text(&reply),
                cost_us: elapsed,
            },
        );
        self.reply_to(node, running.from, running.task, running.msg, reply);
    }

    /// Redis log lines and expiries the last command produced.
    fn node_logs(&mut self, node: usize) {
        for line in self.nodes[node].engine.drain_script_log() {
            self.emit(ActorId::node(node), What::Log { text: line.text });
        }
        for key in self.nodes[node].engine.keyspace_mut().drain_expired_log() {
            self.emit(
                ActorId::node(node),
                What::Expire {
                    key: String::from_utf8_lossy(&key).into_owned(),
                },
            );
        }
    }

    /// After a command completes: if the data changed, replicate it and,
    /// with `appendfsync always`, put it on disk before the reply.
    fn after_write(&mut self, node: usize) {
        if !self.nodes[node].note_writes() {
            return;
        }
        let is_primary = self.nodes[node].replica_of.is_none();
        self.mark_changed();
        let replicas: Vec<usize> = if is_primary {
            (0..self.nodes.len())
                .filter(|&r| self.nodes[r].replica_of == Some(node) && self.nodes[r].up)
                .collect()
        } else {
            Vec::new()
        };
        if let Some(data) = self.nodes[node].write_out(!replicas.is_empty()) {
            let offset = self.nodes[node].offset;
            let epoch = self.nodes[node].epoch;
            for replica in replicas {
                let lag = crate::clock::ms(self.nodes[replica].spec.replication_lag_ms);
                let data = Rc::clone(&data);
                let out = Pending::ReplicateOut {
                    node,
                    epoch,
                    replica,
                    offset,
                    data,
                };
                self.schedule(self.now + lag, out);
            }
        }
        self.schedule_expiry(node);
    }

    /// [`World::after_write`] for a connection's command: if it wrote, the
    /// primary's offset after it is what that connection's WAIT waits for.
    fn after_write_by(&mut self, node: usize, connection: (ActorId, u32)) {
        let before = self.nodes[node].offset;
        self.after_write(node);
        let n = &mut self.nodes[node];
        if n.offset != before {
            let offset = n.offset;
            n.write_offsets.insert(connection, offset);
        }
    }

    /// The replication stream leaves the primary, if it is still alive.
    pub(super) fn replicate_out(
        &mut self,
        node: usize,
        epoch: u64,
        replica: usize,
        offset: u64,
        data: Rc<Dataset>,
    ) {
        if self.nodes[node].epoch != epoch || !self.nodes[node].up {
            return;
        }
        self.send(
            ActorId::node(node),
            ActorId::node(replica),
            Body::Replicate {
                offset,
                data,
                full: false,
            },
            0,
        );
    }

    /// A replica receives the primary's data.
    pub(super) fn replica_receive(
        &mut self,
        replica: usize,
        primary: usize,
        offset: u64,
        data: Rc<Dataset>,
        full: bool,
    ) {
        if !self.nodes[replica].accepts_sync(primary, offset, full) {
            return;
        }
        self.emit(ActorId::node(replica), What::Sync { offset });
        self.nodes[replica].load_sync(&data, offset);
        self.mark_changed();
        self.send(
            ActorId::node(replica),
            ActorId::node(primary),
            Body::Ack { offset },
            0,
        );
    }

    pub(super) fn primary_receive_ack(&mut self, primary: usize, replica: usize, offset: u64) {
        self.with_node(primary, |n, cx| n.receive_ack(replica, offset, cx));
    }

    /// A valid WAIT reaches an idle primary: the node decides when it
    /// answers (`crate::node::wait`).
    fn start_wait(&mut self, node: usize, from: ActorId, task: u32, msg: u64, args: &[Vec<u8>]) {
        let id = self.next_token;
        self.next_token += 1;
        let call = WaitCall {
            id,
            msg,
            from,
            caller: self.name(from).to_string(),
            task,
        };
        self.with_node(node, |n, cx| n.start_wait(call, args, cx));
    }

    pub(super) fn wait_timeout(&mut self, node: usize, epoch: u64, waiter: u64) {
        self.with_node(node, |n, cx| n.wait_timeout(epoch, waiter, cx));
    }

    /// Sends a primary's whole data set to a replica (a full resync).
    pub(super) fn full_sync(&mut self, primary: usize, replica: usize) {
        if !self.nodes[primary].up || !self.nodes[replica].up {
            return;
        }
        let data = Rc::new(self.nodes[primary].engine.dataset());
        let offset = self.nodes[primary].offset;
        let lag = crate::clock::ms(self.nodes[replica].spec.replication_lag_ms);
        self.send(
            ActorId::node(primary),
            ActorId::node(replica),
            Body::Replicate {
                offset,
                data,
                full: true,
            },
            lag,
        );
    }

    /// `node` starts replicating `primary`, dropping its own data at the
    /// first sync.
    pub(super) fn make_replica(&mut self, node: usize, primary: usize) {
        self.emit(
            ActorId::node(node),
            What::Replicate {
                primary: self.node_name(primary).to_string(),
                full_sync: true,
            },
        );
        self.nodes[node].replica_of = Some(primary);
        self.nodes[node].offset = 0;
        self.mark_changed();
        self.full_sync(primary, node);
    }

    /// A replica becomes the primary; its siblings follow it, clients that
    /// follow the primary switch to it, and the old primary is demoted as
    /// soon as it can be reached.
    pub(super) fn promote(&mut self, node: usize, reason: &str) {
        let Some(old) = self.nodes[node].replica_of else {
            return;
        };
        self.emit(
            ActorId::node(node),
            What::Promote {
                reason: reason.to_string(),
            },
        );
        self.nodes[node].replica_of = None;
        self.nodes[node].acked.clear();
        self.mark_changed();
        for sibling in 0..self.nodes.len() {
            if sibling != node && self.nodes[sibling].replica_of == Some(old) {
                self.make_replica(sibling, node);
            }
        }
        let mut switched = Vec::new();
        for (i, process) in self.processes.iter_mut().enumerate() {
            if process.follows_primary || process.node == old {
                process.node = node;
                switched.push(i);
            }
        }
        // Their client libraries learn of the new primary and drop the
        // connections to the old one (Sentinel also kills them there):
        // what was in flight fails now, after the failover's event.
        for process in switched {
            let reason = format!(
                "connection reset: failover, {} is the primary now",
                self.node_name(node)
            );
            self.schedule(
                self.now,
                Pending::ConnectionReset {
                    process,
                    node: old,
                    reason,
                },
            );
        }
        if let Some(sentinel) = self.sentinel.as_mut() {
            sentinel.follow(node);
        }
        self.demote.retain(|(o, _)| *o != node);
        self.demote.push((old, node));
        self.try_demote();
    }

    /// Old primaries that can be reached become replicas of the new one,
    /// losing writes that never reached it — as in Redis.
    pub(super) fn try_demote(&mut self) {
        let pending = std::mem::take(&mut self.demote);
        for (old, new) in pending {
            let reachable = self.nodes[old].up
                && self.sentinel.as_ref().is_none_or(|_| {
                    self.network
                        .connected(ActorId::Sentinel, ActorId::node(old))
                });
            if reachable {
                self.make_replica(old, new);
            } else {
                self.demote.push((old, new));
            }
        }
    }

    /// The sentinel's tick: old primaries it can reach now are demoted,
    /// then it decides (`crate::sentinel`) on what it sees of the nodes.
    pub(super) fn sentinel_tick(&mut self) {
        if self.sentinel.is_none() {
            return;
        }
        self.schedule(self.now + sentinel::TICK_US, Pending::SentinelTick);
        self.try_demote();
        let view: Vec<NodeView> = (0..self.nodes.len())
            .map(|i| self.sentinel_view(i))
            .collect();
        let Some(sentinel) = self.sentinel.as_mut() else {
            return;
        };
        let primary = sentinel.primary;
        match sentinel.tick(self.now, &view) {
            None => {}
            Some(Action::ScriptKill { node }) => self.sentinel_script_kill(node),
            Some(Action::Promote { replica, down_for }) => {
                let reason = sentinel::failover_reason(self.node_name(primary), down_for);
                self.promote(replica, &reason);
            }
        }
    }

    /// What the sentinel can see of `node`.
    fn sentinel_view(&self, node: usize) -> NodeView {
        let n = &self.nodes[node];
        NodeView {
            reachable: n.up
                && self
                    .network
                    .connected(ActorId::Sentinel, ActorId::node(node)),
            replica_of: n.replica_of,
            offset: n.offset,
            script: n.running.as_ref().and_then(|running| {
                running.script.as_ref().map(|_| BusyScript {
                    run: running.id,
                    started: running.started,
                    threshold: n.busy_threshold_us(),
                })
            }),
        }
    }

    /// The sentinel sends SCRIPT KILL to a primary stuck in a script.
    fn sentinel_script_kill(&mut self, primary: usize) {
        let args = vec![b"SCRIPT".to_vec(), b"KILL".to_vec()];
        let msg = self.send(
            ActorId::Sentinel,
            ActorId::node(primary),
            Body::Command { task: 0, args },
            0,
        );
        self.emit(
            ActorId::Sentinel,
            What::Send {
                to: self.node_name(primary).to_string(),
                msg,
                text: "SCRIPT KILL".into(),
            },
        );
    }

    /// Removes keys whose TTL has passed (primaries only: a replica waits
    /// for its primary's deletions, as in Redis).
    pub(super) fn expiry(&mut self, node: usize, generation: u64) {
        if !self.with_node(node, |n, cx| n.expire(generation, cx)) {
            return;
        }
        self.node_logs(node);
        self.after_write(node);
        self.schedule_expiry(node);
    }

    /// Schedules the next expiry check at the node-local time the next key
    /// dies (one ms after its expire time, as Redis compares).
    pub(super) fn schedule_expiry(&mut self, node: usize) {
        self.with_node(node, |n, cx| n.schedule_expiry(cx));
    }

    /// The node's machine stops.
    pub(super) fn crash_node(&mut self, node: usize) {
        if !self.nodes[node].up {
            return;
        }
        self.emit(ActorId::node(node), What::Crash);
        self.nodes[node].crash();
        self.forget_outbound(node);
        self.mark_changed();
    }

    /// The node starts again with what its disk kept.
    pub(super) fn restart_node(&mut self, node: usize) {
        if self.nodes[node].up {
            return;
        }
        let kept = self.nodes[node].kept_on_restart();
        self.emit(ActorId::node(node), What::Restart { kept });
        self.nodes[node].restart(self.now);
        self.forget_outbound(node);
        self.mark_changed();
        self.schedule_persist(node);
        self.schedule_expiry(node);
        if let Some(primary) = self.nodes[node].replica_of {
            self.full_sync(primary, node);
        }
        let replicas: Vec<usize> = (0..self.nodes.len())
            .filter(|&r| self.nodes[r].replica_of == Some(node))
            .collect();
        for replica in replicas {
            self.full_sync(node, replica);
        }
        self.try_demote();
    }

    /// Expiry times are on node clocks: after a clock change, look again.
    pub(super) fn node_clock_changed(&mut self, node: usize) {
        self.mark_changed();
        self.schedule_expiry(node);
    }
}
