//! Consensus services in the world: client requests go to the leader,
//! which sends its new state to the other members and answers once a
//! majority has written it; elections follow crashes and partitions after
//! the election timeout; leases expire on the leader's clock. The model
//! and its assumptions are in `crate::consensus`.

use std::rc::Rc;

use super::{Body, Pending, World};
use crate::actor::{ActorId, MemberId};
use crate::clock::ms;
use crate::consensus::{Op, Outcome, Proposal, Store};
use crate::trace::What;

/// Where a request's answer goes.
#[derive(Clone, Debug)]
pub(super) struct Route {
    from: ActorId,
    task: u32,
    msg: u64,
}

type Service = crate::consensus::Service<Route>;

impl World {
    /// The actor of `member` of service `service`.
    pub(super) fn member_actor(&self, service: usize, member: usize) -> ActorId {
        ActorId::Member(MemberId { service, member })
    }

    /// The (service, member) an actor is, if it is a consensus member.
    pub(super) fn member_of(&self, actor: ActorId) -> Option<(usize, usize)> {
        match actor {
            ActorId::Member(MemberId { service, member }) => Some((service, member)),
            _ => None,
        }
    }

    pub(super) fn member_named(&self, name: &str) -> Option<(usize, usize)> {
        self.member_of(self.roster.named(name)?)
    }

    /// Sends a program's request to the service's leader (or, with none,
    /// to the last one); `None` because the task now waits.
    pub(super) fn consensus_request(
        &mut self,
        process: usize,
        task: u32,
        service: String,
        op: Op,
    ) -> Option<lockstep_lua::mlua::MultiValue> {
        use lockstep_lua::mlua::IntoLuaMulti;
        let actor = self.processes[process].actor;
        let Some(index) = self.services.iter().position(|s| s.spec.name == service) else {
            let message = format!("no consensus service named \"{service}\" in this scenario");
            return (false, message).into_lua_multi(self.clients.lua()).ok();
        };
        let contact = self.services[index].contact();
        let target = self.member_actor(index, contact);
        let text = op.text();
        let msg = self.send(actor, target, Body::ConsensusRequest { task, op }, 0);
        self.emit(
            actor,
            What::Send {
                to: self.name(target).to_string(),
                msg,
                text,
            },
        );
        self.await_reply(process, task, msg, target, None);
        None
    }

    /// A request reaches a member: a down member says nothing, a follower
    /// refuses at once, the leader proposes it.
    pub(super) fn consensus_receive(
        &mut self,
        actor: ActorId,
        from: ActorId,
        task: u32,
        msg: u64,
        op: Op,
    ) {
        let Some((service, member)) = self.member_of(actor) else {
            return;
        };
        if !self.services[service].members[member].up {
            self.emit(
                actor,
                What::Drop {
                    from: self.name(from).to_string(),
                    to: self.name(actor).to_string(),
                    msg,
                    reason: format!("{} is down", self.name(actor)),
                },
            );
            return;
        }
        if self.services[service].leader != Some(member) {
            let outcome = Outcome {
                error: Some(format!("{} is not the leader", self.name(actor))),
                ..Outcome::default()
            };
            let body = Body::ConsensusAnswer {
                task,
                call: msg,
                op,
                outcome,
            };
            self.send(actor, from, body, 0);
            return;
        }
        self.propose(service, op, Some(Route { from, task, msg }));
    }

    /// The leader makes `op` an entry and sends its new state to the
    /// other members.
    fn propose(&mut self, service: usize, op: Op, route: Option<Route>) {
        let Some((index, store)) = self.services[service].propose(op, route) else {
            return;
        };
        let Some(leader) = self.services[service].leader else {
            return;
        };
        self.broadcast(service, index, store);
        // A group of one commits on its own.
        let term = self.services[service].term;
        let done = self.services[service].acknowledged(leader, term, index);
        self.commit(service, done);
    }

    /// The leader sends its state at `index` to every other member.
    fn broadcast(&mut self, service: usize, index: u64, store: Rc<Store>) {
        let Some(leader) = self.services[service].leader else {
            return;
        };
        let term = self.services[service].term;
        let from = self.member_actor(service, leader);
        for member in 0..self.services[service].members.len() {
            if member != leader {
                let to = self.member_actor(service, member);
                let body = Body::Append {
                    term,
                    index,
                    store: Rc::clone(&store),
                };
                self.send(from, to, body, 0);
            }
        }
    }

    /// The leader sends its newest state to every member (after an
    /// election, a heal or a restart) so they catch up.
    fn sync_members(&mut self, service: usize) {
        let Some(leader) = self.services[service].leader else {
            return;
        };
        let member = &self.services[service].members[leader];
        let (index, store) = (member.index, Rc::clone(&member.store));
        self.broadcast(service, index, store);
    }

    /// A member gets the leader's state: it writes it (taking the
    /// service's `latency_ms`) and acknowledges.
    pub(super) fn member_append(
        &mut self,
        actor: ActorId,
        from: ActorId,
        term: u64,
        index: u64,
        store: Rc<Store>,
    ) {
        let Some((service, member)) = self.member_of(actor) else {
            return;
        };
        if self.services[service].follow(member, term, index, &store) {
            let write = ms(self.services[service].spec.latency_ms);
            self.send(actor, from, Body::AppendAck { term, index }, write);
        }
    }

    /// The leader hears a member holds an entry: what a majority now holds
    /// is committed and answered.
    pub(super) fn member_ack(&mut self, actor: ActorId, from: ActorId, term: u64, index: u64) {
        let (Some((service, leader)), Some((_, member))) =
            (self.member_of(actor), self.member_of(from))
        else {
            return;
        };
        if self.services[service].leader != Some(leader) {
            return;
        }
        let done = self.services[service].acknowledged(member, term, index);
        self.commit(service, done);
    }

    /// Committed entries take effect: lease countdowns restart, expired
    /// leases are written down, callers get their answers.
    fn commit(&mut self, service: usize, done: Vec<Proposal<Route>>) {
        let Some(leader) = self.services[service].leader else {
            return;
        };
        let actor = self.member_actor(service, leader);
        for proposal in done {
            let Proposal {
                op,
                outcome,
                reply_to,
                ..
            } = proposal;
            if outcome.error.is_none() {
                self.renew_lease(service, &op, &outcome);
            }
            if let Op::Expire { lease } = op {
                if outcome.error.is_none() {
                    self.emit(
                        actor,
                        What::LeaseExpire {
                            lease,
                            keys: outcome.deleted.clone(),
                            revision: outcome.revision,
                        },
                    );
                    self.mark_changed();
                }
                continue;
            }
            let Some(Route { from, task, msg }) = reply_to else {
                continue;
            };
            self.emit(
                actor,
                What::Commit {
                    from: self.name(from).to_string(),
                    msg,
                    request: op.text(),
                    key: op.key().map(str::to_string),
                    result: outcome.text(&op),
                    revision: self.services[service].members[leader].store.revision(),
                },
            );
            self.mark_changed();
            let body = Body::ConsensusAnswer {
                task,
                call: msg,
                op,
                outcome,
            };
            self.send(actor, from, body, 0);
        }
    }

    /// A committed grant or keepalive: the lease lives another TTL from
    /// now, on the leader's clock.
    fn renew_lease(&mut self, service: usize, op: &Op, outcome: &Outcome) {
        let lease = match op {
            Op::Grant { .. } => outcome.lease,
            Op::KeepAlive { lease } => Some(*lease),
            _ => None,
        };
        let Some(lease) = lease else { return };
        let Some(ttl) = self.services[service].ttl_of(lease) else {
            return;
        };
        self.services[service].lease_renewed(lease, ttl, self.now);
        self.schedule(self.now + ms(ttl), Pending::LeaseCheck { service });
    }

    /// A lease deadline passed: the leader proposes the end of every lease
    /// whose countdown ran out.
    pub(super) fn lease_check(&mut self, service: usize) {
        for lease in self.services[service].due_leases(self.now) {
            self.propose(service, Op::Expire { lease }, None);
        }
    }

    /// Crashes, restarts and partitions change who can reach whom: every
    /// service looks at its leader again one election timeout later.
    pub(super) fn consensus_topology_changed(&mut self) {
        for service in 0..self.services.len() {
            let timeout = ms(self.services[service].spec.election_timeout_ms);
            self.schedule(self.now + timeout, Pending::ElectionCheck { service });
        }
    }

    /// The election timeout ran out: a leader that still reaches a
    /// majority stays; otherwise the members elect one that does, if any.
    pub(super) fn election_check(&mut self, service: usize) {
        let network = &self.network;
        let member = |m| ActorId::Member(MemberId { service, member: m });
        let reaches = |a: usize, b: usize| network.connected(member(a), member(b));
        if self.services[service].leader_has_majority(&reaches) {
            return;
        }
        let Some(leader) = self.services[service].elect(self.now, &reaches) else {
            self.services[service].step_down();
            return;
        };
        let term = self.services[service].term;
        let actor = self.member_actor(service, leader);
        self.emit(actor, What::Elected { term });
        self.mark_changed();
        self.sync_members(service);
        if let Some(at) = self.services[service].next_deadline() {
            self.schedule(at, Pending::LeaseCheck { service });
        }
    }

    /// A member stops; a leader's unanswered entries go with it.
    pub(super) fn crash_member(&mut self, service: usize, member: usize) {
        if !self.services[service].members[member].up {
            return;
        }
        let actor = self.member_actor(service, member);
        self.emit(actor, What::Crash);
        self.services[service].crash(member);
        self.mark_changed();
        self.consensus_topology_changed();
    }

    /// A member starts again with everything it wrote to disk.
    pub(super) fn restart_member(&mut self, service: usize, member: usize) {
        if self.services[service].members[member].up {
            return;
        }
        let actor = self.member_actor(service, member);
        let m = &self.services[service].members[member];
        let kept = format!(
            "its log up to entry {} of term {} (revision {})",
            m.index,
            m.term,
            m.store.revision()
        );
        self.emit(actor, What::Restart { kept });
        self.services[service].members[member].up = true;
        self.mark_changed();
        self.sync_members(service);
        self.consensus_topology_changed();
    }

    /// Every service's committed state, for the world's snapshots.
    pub(super) fn consensus_state(
        &self,
    ) -> std::collections::BTreeMap<String, crate::trace::ConsensusState> {
        self.services
            .iter()
            .map(|s| (s.spec.name.clone(), s.state(&s.spec.member_names())))
            .collect()
    }

    /// After a heal, the leader brings every member up to date.
    pub(super) fn consensus_healed(&mut self) {
        for service in 0..self.services.len() {
            self.sync_members(service);
        }
        self.consensus_topology_changed();
    }
}

/// An answer as the program sees it: a table `{ok=, value=, revision=,
/// lease=, error=}`.
pub(super) fn outcome_to_lua(
    lua: &lockstep_lua::mlua::Lua,
    outcome: &Outcome,
) -> lockstep_lua::mlua::Result<lockstep_lua::mlua::Value> {
    let table = lua.create_table()?;
    table.set("ok", outcome.ok)?;
    if let Some(value) = &outcome.value {
        table.set("value", lua.create_string(value)?)?;
    }
    table.set("revision", outcome.revision as f64)?;
    if let Some(lease) = outcome.lease {
        table.set("lease", lease as f64)?;
    }
    if let Some(error) = &outcome.error {
        table.set("error", lua.create_string(error)?)?;
    }
    Ok(lockstep_lua::mlua::Value::Table(table))
}

/// The services of a scenario, as the world starts them.
pub(super) fn services(scenario: &crate::scenario::Scenario) -> Vec<Service> {
    scenario
        .consensus
        .iter()
        .cloned()
        .map(crate::consensus::Service::new)
        .collect()
}
