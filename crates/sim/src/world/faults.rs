//! Faults: what the scenario (or the explorer) does to the world.

use super::{Pending, World};
use crate::actor::ActorId;
use crate::clock::ms;
use crate::scenario::FaultKind;
use crate::trace::What;

impl World {
    pub(super) fn fault(&mut self, index: usize) {
        if let Some(struck) = self.struck.get_mut(index) {
            *struck = true;
        }
        let kind = self.faults[index].kind.clone();
        let node_named =
            |world: &World, name: &str| world.nodes.iter().position(|n| n.spec.name == name);
        match kind {
            FaultKind::Pause {
                target,
                duration_ms,
            } => {
                if let Some(p) = self.process_named(&target) {
                    self.pause_process(p, ms(duration_ms));
                }
            }
            FaultKind::Kill { target } => {
                if let Some(p) = self.process_named(&target) {
                    self.kill_process(p);
                }
            }
            FaultKind::Crash {
                target,
                restart_after_ms,
            } => {
                let known = if let Some(node) = node_named(self, &target) {
                    self.crash_node(node);
                    true
                } else if let Some((service, member)) = self.member_named(&target) {
                    self.crash_member(service, member);
                    true
                } else {
                    false
                };
                if let (true, Some(after)) = (known, restart_after_ms) {
                    self.follow_up(FaultKind::Restart { target }, after);
                }
            }
            FaultKind::Restart { target } => {
                if let Some(node) = node_named(self, &target) {
                    self.restart_node(node);
                } else if let Some((service, member)) = self.member_named(&target) {
                    self.restart_member(service, member);
                } else if let Some(p) = self.process_named(&target) {
                    self.restart_process(p);
                }
            }
            FaultKind::Promote { target } => {
                if let Some(node) = node_named(self, &target) {
                    self.promote(node, "manual failover");
                }
            }
            FaultKind::Partition {
                groups,
                duration_ms,
            } => {
                let ids: Vec<Vec<ActorId>> = groups.iter().map(|g| self.ids_of(g)).collect();
                self.emit_world(What::Partition { groups });
                self.network.partition(&ids);
                self.mark_changed();
                self.consensus_topology_changed();
                if let Some(after) = duration_ms {
                    self.follow_up(FaultKind::Heal {}, after);
                }
            }
            FaultKind::Delay {
                between,
                extra_ms,
                duration_ms,
            } => {
                let sides = [self.ids_of(&between[0]), self.ids_of(&between[1])];
                self.emit_world(What::Delay {
                    between,
                    extra_ms,
                    duration_ms,
                });
                self.network
                    .slow(sides, ms(extra_ms), self.now + ms(duration_ms));
            }
            FaultKind::LoseOneWay {
                from,
                to,
                duration_ms,
            } => {
                let (senders, receivers) = (self.ids_of(&from), self.ids_of(&to));
                self.emit_world(What::LoseOneWay {
                    from,
                    to,
                    duration_ms,
                });
                self.network
                    .lose_one_way(senders, receivers, self.now + ms(duration_ms));
            }
            FaultKind::LoseReply { target } => {
                if let Some(p) = self.process_named(&target) {
                    let actor = self.processes[p].actor;
                    self.emit(actor, What::LoseReply);
                    self.lose_next_reply.insert(actor);
                }
            }
            FaultKind::Heal {} => {
                if !self.network.is_partitioned() {
                    return;
                }
                self.emit_world(What::Heal);
                self.network.heal();
                self.mark_changed();
                self.release_held();
                self.consensus_healed();
                // Replicas cut off from their primary missed part of the
                // stream: they resynchronise.
                for replica in 0..self.nodes.len() {
                    if let Some(primary) = self.nodes[replica].replica_of {
                        self.full_sync(primary, replica);
                    }
                }
                self.try_demote();
            }
            FaultKind::ClockJump { target, by_ms } => {
                if let Some(node) = node_named(self, &target) {
                    self.emit(ActorId::node(node), What::ClockJump { by_ms });
                    self.nodes[node].clock.jump(self.now, by_ms);
                    self.node_clock_changed(node);
                } else if let Some((service, member)) = self.member_named(&target) {
                    // A consensus member: its wall clock moves, its leases
                    // (timed on a monotonic clock) do not.
                    let actor = self.member_actor(service, member);
                    self.emit(actor, What::ClockJump { by_ms });
                    self.services[service].members[member]
                        .clock
                        .jump(self.now, by_ms);
                    self.mark_changed();
                } else if let Some(p) = self.process_named(&target) {
                    let actor = self.processes[p].actor;
                    self.emit(actor, What::ClockJump { by_ms });
                    self.processes[p].clock.jump(self.now, by_ms);
                }
            }
            FaultKind::ClockDrift { target, drift } => {
                if let Some(node) = node_named(self, &target) {
                    self.emit(ActorId::node(node), What::ClockDrift { drift });
                    self.nodes[node].clock.set_drift(self.now, drift);
                    self.node_clock_changed(node);
                } else if let Some((service, member)) = self.member_named(&target) {
                    let actor = self.member_actor(service, member);
                    self.emit(actor, What::ClockDrift { drift });
                    self.services[service].members[member]
                        .clock
                        .set_drift(self.now, drift);
                    self.mark_changed();
                } else if let Some(p) = self.process_named(&target) {
                    let actor = self.processes[p].actor;
                    self.emit(actor, What::ClockDrift { drift });
                    self.processes[p].clock.set_drift(self.now, drift);
                }
            }
        }
    }

    /// Schedules the second half of a fault (a crash's restart, a
    /// partition's heal) `after_ms` from now.
    fn follow_up(&mut self, kind: FaultKind, after_ms: f64) {
        let index = self.faults.len();
        self.faults.push(crate::scenario::FaultSpec {
            kind,
            at_ms: 0.0,
            after: None,
        });
        self.schedule(self.now + ms(after_ms), Pending::Fault(index));
    }

    /// The ids of the named actors (the scenario was checked: all known).
    fn ids_of(&self, names: &[String]) -> Vec<ActorId> {
        names.iter().filter_map(|n| self.roster.named(n)).collect()
    }
}
