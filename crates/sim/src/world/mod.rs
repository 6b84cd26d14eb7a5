//! The world: every actor, the network, the event queue and the trace.
//!
//! One loop takes the earliest pending event (ties broken by the order they
//! were scheduled, so nothing depends on hash order or the platform), lets
//! the actor it concerns react — which may schedule more events — and then
//! checks the invariants. The handlers live in submodules by actor kind.

mod blocking;
mod clients;
mod consensus;
mod databases;
mod deploys;
mod faults;
mod fork;
mod messages;
mod nodes;
mod operators;
mod persistence;
mod pipeline;
mod pubsub;
mod shutdown;
mod traffic;

use std::collections::BTreeMap;
use std::rc::Rc;

use lockstep_engine::{Dataset, Reply};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub use fork::{DumpedKey, NodeKeys};

use crate::actor::{ActorId, ClientId, MemberId, NodeId, Roster};
use crate::client::{ClientVm, Process};
use crate::clock::{ms, Clock};
use crate::invariants::{Invariants, Violation};
use crate::network::Network;
use crate::node::Node;
use crate::resource::{Resource, WriteRequest};
use crate::scenario::{FaultSpec, Scenario};
use crate::sentinel::Sentinel;
use crate::trace::{Event, ResourceState, Time, Trace, Verdict, VerdictKind, What, WorldState};

/// How long the world may take to go quiet after a run, before the
/// end-of-run invariants are checked.
const SETTLE_LIMIT: Time = 10_000_000;

/// How a run is set up beyond the scenario itself.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub seed: u64,
    /// Keep the trace (the explorer turns this off while searching).
    pub record: bool,
    /// Stop as soon as an invariant fails.
    pub stop_at_violation: bool,
    /// A guard against scenarios that never settle (clients spinning with
    /// zero latency): the run stops after this many events.
    pub max_events: u64,
    /// Extra time past the scenario's duration. The explorer gives a run
    /// as much extra as its faults took away (pauses, outages), so that
    /// "the work did not get done" means stuck, not merely delayed.
    pub extend_ms: u64,
}

impl RunOptions {
    pub fn new(seed: u64) -> RunOptions {
        RunOptions {
            seed,
            record: true,
            stop_at_violation: false,
            max_events: 1_000_000,
            extend_ms: 0,
        }
    }
}

/// What a pending event will do when its time comes.
#[derive(Clone, Debug)]
enum Pending {
    StartProcess(usize),
    Deliver(u64),
    Wake {
        process: usize,
        task: u32,
        token: u64,
    },
    CallTimeout {
        process: usize,
        task: u32,
        msg: u64,
    },
    NodeDone {
        node: usize,
        run: u64,
    },
    /// A running script passes `busy-reply-threshold`.
    BusyThreshold {
        node: usize,
        run: u64,
    },
    Expiry {
        node: usize,
        generation: u64,
    },
    Persist {
        node: usize,
        generation: u64,
        job: crate::node::DiskJob,
    },
    /// An `[[operator]]` command is due.
    Operator(usize),
    /// A `[[deploy]]` is due.
    Deploy(usize),
    Fault(usize),
    Resume {
        process: usize,
    },
    /// A primary's write leaves for a replica once the replication lag has
    /// passed — unless the primary died in the meantime.
    ReplicateOut {
        node: usize,
        epoch: u64,
        replica: usize,
        offset: u64,
        data: Rc<Dataset>,
    },
    SentinelTick,
    /// The earliest blocked client's deadline on a node.
    BlockTimeout {
        node: usize,
        generation: u64,
    },
    /// A client drops its connections to `node` (a failover moved it).
    ConnectionReset {
        process: usize,
        node: usize,
        reason: String,
    },
    /// `next_message` waited long enough.
    MessageTimeout {
        process: usize,
        task: u32,
        token: u64,
    },
    WaitTimeout {
        node: usize,
        epoch: u64,
        waiter: u64,
    },
    /// A disagreement may have outlasted its `stale_at_most` bound.
    StaleCheck,
    /// A traffic generator's next batch of requests is due.
    TrafficNext {
        traffic: usize,
    },
    /// A consensus service's election timeout ran out after a crash,
    /// restart, partition or heal.
    ElectionCheck {
        service: usize,
    },
    /// A lease deadline on a consensus leader's clock.
    LeaseCheck {
        service: usize,
    },
    /// A database query has had its `query_ms`.
    QueryDone {
        database: usize,
        job: Box<crate::database::Job<databases::Route>>,
    },
}

/// A message on the wire between the world's actors.
type Message = crate::network::Message<Body>;

#[derive(Clone, Debug)]
enum Body {
    Command {
        task: u32,
        args: Vec<Vec<u8>>,
    },
    /// Pipelined commands, each with its own message id, in order.
    Pipeline {
        task: u32,
        commands: Vec<(u64, Vec<Vec<u8>>)>,
    },
    Reply {
        task: u32,
        call: u64,
        reply: Reply,
    },
    Write {
        task: u32,
        request: WriteRequest,
    },
    WriteResult {
        task: u32,
        call: u64,
        result: Result<(), String>,
    },
    Replicate {
        offset: u64,
        data: Rc<Dataset>,
        full: bool,
    },
    Ack {
        offset: u64,
    },
    /// A pub/sub frame pushed on a task's connection (`conn` on the
    /// sending node), `bytes` long on the wire.
    Push {
        task: u32,
        conn: lockstep_engine::ClientId,
        reply: Reply,
        bytes: u64,
    },
    /// The node closed the task's connection (output buffer limit).
    Closed {
        task: u32,
        reason: String,
    },
    Query {
        task: u32,
        query: crate::database::Query,
    },
    QueryResult {
        task: u32,
        call: u64,
        query: crate::database::Query,
        answer: crate::database::Answer,
    },
    Request {
        traffic: usize,
        request: crate::traffic::Request,
    },
    /// A program's request to a consensus member.
    ConsensusRequest {
        task: u32,
        op: crate::consensus::Op,
    },
    ConsensusAnswer {
        task: u32,
        call: u64,
        op: crate::consensus::Op,
        outcome: crate::consensus::Outcome,
    },
    /// A consensus leader's state at entry `index` of `term`.
    Append {
        term: u64,
        index: u64,
        store: Rc<crate::consensus::Store>,
    },
    /// A member wrote the leader's entry `index` of `term`.
    AppendAck {
        term: u64,
        index: u64,
    },
}

/// A fault waiting for its trigger.
#[derive(Clone, Debug)]
struct Armed {
    fault: usize,
    seen: u32,
    fired: bool,
}

pub struct World {
    scenario: Rc<Scenario>,
    faults: Vec<FaultSpec>,
    options: RunOptions,
    /// Every actor's id and name, in the trace's order.
    roster: Roster,
    now: Time,
    rng: ChaCha8Rng,
    queue: BTreeMap<(Time, u64), Pending>,
    scheduled: u64,
    network: Network<Body>,
    nodes: Vec<Node>,
    processes: Vec<Process>,
    resources: Vec<Resource>,
    databases: Vec<crate::database::Database<databases::Route>>,
    generators: Vec<crate::traffic::Generator>,
    services: Vec<crate::consensus::Service<consensus::Route>>,
    /// Clients' `SET`s and `PUBLISH`es, their acknowledgements and the
    /// messages programs took, when an `acknowledged_writes` or
    /// `acknowledged_messages` invariant needs them.
    writes: Option<crate::eventual::Writes>,
    sentinel: Option<Sentinel>,
    /// Old primaries to turn into replicas of the new one once reachable.
    demote: Vec<(usize, usize)>,
    clients: ClientVm,
    next_token: u64,
    next_run: u64,
    invariants: Invariants,
    armed: Vec<Armed>,
    /// Triggered faults with no delay: applied before the triggering
    /// actor takes its next step ("right after client-1 acquires").
    immediate: Vec<usize>,
    /// Which of the faults given to the world have struck (the restarts a
    /// crash schedules for itself are not counted).
    struck: Vec<bool>,
    events: Vec<Event>,
    event_count: u64,
    /// The world changed since the invariants over data were last checked.
    changed: bool,
    /// The world changed since the last snapshot: the last event gets one
    /// before the next is written. Every change is marked (`mark_changed`)
    /// after the event that describes it, so each event's snapshot is the
    /// world right after it.
    unsnapped: bool,
    last_state: Option<WorldState>,
    /// Events handled so far (for `max_events`).
    handled: u64,
    stopped: String,
    /// Subscribed connections' unread output, per (node, connection).
    outbound: BTreeMap<(usize, lockstep_engine::ClientId), pubsub::Outbound>,
    /// Per (node, client, task) connection that carries pushes: when its
    /// last frame arrives, so later frames never overtake it (TCP keeps a
    /// connection's bytes in order).
    in_order: BTreeMap<(ActorId, ActorId, u32), Time>,
    /// Clients whose next reply from a node is lost (`lose_reply`).
    lose_next_reply: std::collections::BTreeSet<ActorId>,
    /// Operator commands waiting for their reply: message id to the
    /// command's index and when it was asked.
    operator_asks: BTreeMap<u64, (usize, Time)>,
    /// Deploys due but not yet done, per process, in order.
    deploys_due: BTreeMap<usize, Vec<usize>>,
}

/// Lua states handed from one run to the next (see [`World::with_spares`]).
#[derive(Default)]
pub struct Spares {
    clients: Option<ClientVm>,
    scripting: Vec<lockstep_engine::scripting::SpareScripting>,
}

impl World {
    /// Builds the world for `scenario` with `faults` instead of the
    /// scenario's own (the explorer's schedules).
    pub fn new(
        scenario: Rc<Scenario>,
        faults: Vec<FaultSpec>,
        options: RunOptions,
    ) -> Result<World, crate::error::ScenarioError> {
        World::with_spares(scenario, faults, options, Spares::default())
    }

    /// Like [`World::new`], reusing the Lua states of an earlier run of the
    /// same scenario ([`World::run_keeping_spares`]): the explorer's runs
    /// then skip building Lua states and compiling programs, which is most
    /// of what a short run costs. Nothing else carries over: each process
    /// gets fresh globals, each node a fresh script cache and generator.
    pub fn with_spares(
        scenario: Rc<Scenario>,
        faults: Vec<FaultSpec>,
        options: RunOptions,
        spares: Spares,
    ) -> Result<World, crate::error::ScenarioError> {
        let Spares {
            clients,
            mut scripting,
        } = spares;
        let roster = Roster::new(&scenario);
        let network = Network::new(&scenario.network, &|name| roster.named(name));
        let node_index = |name: &str| scenario.nodes.iter().position(|n| n.name == name);
        let mut nodes: Vec<Node> = scenario
            .nodes
            .iter()
            .map(|spec| {
                Node::new(
                    spec.clone(),
                    spec.replica_of.as_deref().and_then(node_index),
                )
            })
            .collect::<Result<_, _>>()?;
        // Bulk seed data draws first from the run's one RNG, in node order,
        // so scenarios without it keep their random streams.
        let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
        for node in &mut nodes {
            node.populate(&mut rng)?;
        }
        for node in &mut nodes {
            if let Some(spare) = scripting.pop() {
                node.engine.adopt_spare_scripting(spare);
            }
        }
        let clients = match clients.filter(|c| !c.is_poisoned()) {
            Some(clients) => clients,
            None => ClientVm::new(&scenario.libraries).map_err(|e| {
                crate::error::ScenarioError::new(
                    crate::error::ErrorKind::Build,
                    format!("the clients' Lua state: {e}"),
                )
            })?,
        };
        let sentinel = scenario.sentinel.as_ref().and_then(|spec| {
            Some(Sentinel::new(
                node_index(&spec.primary)?,
                spec.down_after_ms * 1000,
            ))
        });
        let mut processes = Vec::new();
        for (i, spec) in scenario.clients.iter().enumerate() {
            let node = spec.node.as_deref().and_then(node_index).unwrap_or(0);
            processes.push(Process {
                spec: spec.clone(),
                actor: ActorId::client(i),
                node,
                follows_primary: sentinel.as_ref().is_some_and(|s| s.primary == node),
                clock: Clock::new(spec.clock.offset_ms, spec.clock.drift),
                tasks: BTreeMap::new(),
                next_task: 0,
                alive: true,
                paused_until: None,
                environment: None,
                entered_count: BTreeMap::new(),
                spawn_args: BTreeMap::new(),
                pending_resume: None,
                last_enter: None,
                failed: None,
                failed_at: None,
                finished: false,
                inbox: Default::default(),
                requests_on_the_way: 0,
                inboxes: BTreeMap::new(),
                pipelines: BTreeMap::new(),
                libraries: BTreeMap::new(),
            });
        }
        let resources = scenario
            .resources
            .iter()
            .cloned()
            .map(Resource::new)
            .collect();
        let databases = scenario
            .databases
            .iter()
            .cloned()
            .map(crate::database::Database::new)
            .collect();
        let generators = scenario
            .traffic
            .iter()
            .cloned()
            .map(crate::traffic::Generator::new)
            .collect();
        let armed = faults
            .iter()
            .enumerate()
            .filter(|(_, f)| f.after.is_some())
            .map(|(fault, _)| Armed {
                fault,
                seen: 0,
                fired: false,
            })
            .collect();
        let faults_given = faults.len();
        let mut world = World {
            invariants: Invariants::new(scenario.invariants.clone()),
            scenario: Rc::clone(&scenario),
            faults,
            rng,
            options,
            roster,
            now: 0,
            queue: BTreeMap::new(),
            scheduled: 0,
            network,
            nodes,
            processes,
            resources,
            databases,
            generators,
            services: consensus::services(&scenario),
            writes: scenario
                .invariants
                .iter()
                .any(|i| {
                    matches!(
                        i,
                        crate::scenario::InvariantSpec::AcknowledgedWrites { .. }
                            | crate::scenario::InvariantSpec::AcknowledgedMessages { .. }
                    )
                })
                .then(Default::default),
            sentinel,
            demote: Vec::new(),
            clients,
            next_token: 1,
            next_run: 1,
            armed,
            immediate: Vec::new(),
            struck: vec![false; faults_given],
            events: Vec::new(),
            event_count: 0,
            changed: true,
            unsnapped: true,
            last_state: None,
            handled: 0,
            stopped: String::new(),
            outbound: BTreeMap::new(),
            in_order: BTreeMap::new(),
            lose_next_reply: Default::default(),
            operator_asks: BTreeMap::new(),
            deploys_due: BTreeMap::new(),
        };
        world.start();
        Ok(world)
    }

    fn start(&mut self) {
        for i in 0..self.processes.len() {
            let at = ms(self.processes[i].spec.start_ms);
            self.schedule(at, Pending::StartProcess(i));
        }
        for i in 0..self.faults.len() {
            if self.faults[i].after.is_none() {
                let at = ms(self.faults[i].at_ms);
                self.schedule(at, Pending::Fault(i));
            }
        }
        for node in 0..self.nodes.len() {
            self.schedule_persist(node);
            if let Some(primary) = self.nodes[node].replica_of {
                self.full_sync(primary, node);
            }
        }
        if self.sentinel.is_some() {
            self.schedule(0, Pending::SentinelTick);
        }
        for i in 0..self.scenario.operators.len() {
            let at = ms(self.scenario.operators[i].at_ms);
            self.schedule(at, Pending::Operator(i));
        }
        for i in 0..self.scenario.deploys.len() {
            let at = ms(self.scenario.deploys[i].at_ms);
            self.schedule(at, Pending::Deploy(i));
        }
        self.start_traffic();
    }

    /// Runs to the end and returns the trace.
    pub fn run(mut self) -> Trace {
        self.play();
        self.finish()
    }

    /// Runs to the end; returns the trace and the Lua states for the next
    /// run of the same scenario.
    pub fn run_keeping_spares(mut self) -> (Trace, Spares) {
        self.play();
        let trace = self.finish();
        let scripting = self
            .nodes
            .iter_mut()
            .filter_map(|n| n.engine.take_spare_scripting())
            .collect();
        let spares = Spares {
            clients: Some(self.clients),
            scripting,
        };
        (trace, spares)
    }

    fn play(&mut self) {
        while self.step() {}
        if self.invariants.any_at_end() {
            self.settle();
            let state = world_state(
                &self.nodes,
                &self.roster,
                &self.invariants.sections,
                &self.resources,
                &self.databases,
                self.now,
            );
            let last = self.event_count.saturating_sub(1);
            let writes = self.writes.clone().unwrap_or_default();
            let found = self.invariants.check_end(&state, &writes, self.now, last);
            self.report(found);
        }
    }

    /// Lets the world go quiet after the run: messages on their way to
    /// nodes and databases arrive, replication catches up, queries finish
    /// and keys expire, for up to [`SETTLE_LIMIT`] more. Client programs
    /// do not run again (their replies are not delivered), no fault
    /// strikes, and nothing periodic (snapshots, the sentinel) counts.
    fn settle(&mut self) {
        let until = self.now + SETTLE_LIMIT;
        loop {
            let next = self
                .queue
                .iter()
                .find(|(_, pending)| self.settles(pending))
                .map(|(key, _)| *key);
            let Some(key) = next.filter(|(t, _)| *t <= until) else {
                break;
            };
            let Some(pending) = self.queue.remove(&key) else {
                break;
            };
            self.now = key.0.max(self.now);
            self.handle(pending);
            self.apply_immediate_faults();
            self.after_event();
        }
    }

    fn settles(&self, pending: &Pending) -> bool {
        match pending {
            Pending::Deliver(id) => self
                .network
                .get(*id)
                .is_some_and(|m| !matches!(m.to, ActorId::Client(_))),
            Pending::NodeDone { .. }
            | Pending::BusyThreshold { .. }
            | Pending::Expiry { .. }
            | Pending::ReplicateOut { .. }
            | Pending::WaitTimeout { .. }
            | Pending::QueryDone { .. } => true,
            _ => false,
        }
    }

    /// Advances the world by one event (the earliest pending one), then
    /// applies the faults it released and checks the invariants. Returns
    /// false, and handles nothing, once the run is over; [`World::stopped`]
    /// says why. A front end or a worker can drive a run with it, one
    /// event at a time; [`World::run`] is this in a loop.
    pub fn step(&mut self) -> bool {
        if !self.stopped.is_empty() {
            return false;
        }
        let duration_ms = self.scenario.duration_ms + self.options.extend_ms;
        let limit = ms(duration_ms as f64);
        if self.processes.iter().all(|p| !p.alive || p.finished) {
            self.stopped = "every client finished".into();
            return false;
        }
        let Some(((t, _), pending)) = self.queue.pop_first() else {
            self.stopped = "nothing left to happen".into();
            return false;
        };
        if t > limit {
            self.now = limit;
            self.stopped = format!("the scenario's duration ({duration_ms} ms) ran out");
            return false;
        }
        self.now = t;
        self.handle(pending);
        self.apply_immediate_faults();
        self.after_event();
        self.handled += 1;
        if self.options.stop_at_violation && self.invariants.any_violated() {
            self.stopped = "an invariant failed".into();
        } else if self.handled >= self.options.max_events {
            self.stopped = format!(
                "stopped after {} events: the scenario never settles (clients looping with no delay?)",
                self.handled
            );
        }
        true
    }

    /// Why the run is over; empty while it goes on.
    pub fn stopped(&self) -> &str {
        &self.stopped
    }

    /// Events recorded so far. Stepping until this passes an event's `seq`
    /// gives the world right after that event (and after the others the
    /// same moment's handling wrote) — a fork of the run at that step.
    pub fn events_recorded(&self) -> u64 {
        self.event_count
    }

    fn handle(&mut self, pending: Pending) {
        match pending {
            Pending::StartProcess(p) => self.start_process(p),
            Pending::Deliver(id) => self.deliver(id),
            Pending::Wake {
                process,
                task,
                token,
            } => self.wake(process, task, token),
            Pending::CallTimeout { process, task, msg } => self.call_timeout(process, task, msg),
            Pending::NodeDone { node, run } => self.node_done(node, run),
            Pending::BusyThreshold { node, run } => self.busy_threshold(node, run),
            Pending::Expiry { node, generation } => self.expiry(node, generation),
            Pending::Persist {
                node,
                generation,
                job,
            } => self.persist(node, generation, job),
            Pending::Operator(i) => self.operator_command(i),
            Pending::Deploy(i) => self.deploy_due(i),
            Pending::Fault(i) => self.fault(i),
            Pending::Resume { process } => self.resume_process(process),
            Pending::ReplicateOut {
                node,
                epoch,
                replica,
                offset,
                data,
            } => self.replicate_out(node, epoch, replica, offset, data),
            Pending::SentinelTick => self.sentinel_tick(),
            Pending::BlockTimeout { node, generation } => self.block_timeout(node, generation),
            Pending::ConnectionReset {
                process,
                node,
                reason,
            } => self.reset_connections(process, node, reason),
            Pending::MessageTimeout {
                process,
                task,
                token,
            } => self.message_timeout(process, task, token),
            Pending::WaitTimeout {
                node,
                epoch,
                waiter,
            } => self.wait_timeout(node, epoch, waiter),
            Pending::QueryDone { database, job } => self.query_done(database, *job),
            Pending::StaleCheck => self.changed = true,
            Pending::ElectionCheck { service } => self.election_check(service),
            Pending::LeaseCheck { service } => self.lease_check(service),
            Pending::TrafficNext { traffic } => self.traffic_next(traffic),
        }
    }

    fn schedule(&mut self, at: Time, pending: Pending) {
        self.scheduled += 1;
        self.queue
            .insert((at.max(self.now), self.scheduled), pending);
    }

    /// Notes that the world changed (after writing the event that says how).
    fn mark_changed(&mut self) {
        self.changed = true;
        self.unsnapped = true;
    }

    /// Gives the last event a snapshot if the world changed since the last
    /// one was taken.
    fn snapshot_last_event(&mut self) {
        if !self.unsnapped || !self.options.record || self.events.is_empty() {
            return;
        }
        self.unsnapped = false;
        let mut snapshot = world_state(
            &self.nodes,
            &self.roster,
            &self.invariants.sections,
            &self.resources,
            &self.databases,
            self.now,
        );
        snapshot.consensus = self.consensus_state();
        if self.last_state.as_ref() != Some(&snapshot) {
            if let Some(event) = self.events.last_mut() {
                event.state = Some(snapshot.clone());
            }
            self.last_state = Some(snapshot);
        }
    }

    /// Writes an event; returns its sequence number.
    fn emit(&mut self, actor: ActorId, what: What) -> u64 {
        self.snapshot_last_event();
        let seq = self.event_count;
        self.event_count += 1;
        self.observe_trigger(actor, &what);
        if self.options.record {
            let local_ms = self.local_ms(actor);
            self.events.push(Event {
                seq,
                t_us: self.now,
                actor: self.name(actor).to_string(),
                local_ms,
                what,
                state: None,
            });
        }
        seq
    }

    /// The fault injector's events (partitions, heals) belong to no actor.
    fn emit_world(&mut self, what: What) -> u64 {
        self.emit(ActorId::World, what)
    }

    fn name(&self, actor: ActorId) -> &str {
        self.roster.name(actor)
    }

    /// Node `node`'s name (an index into the world's nodes).
    fn node_name(&self, node: usize) -> &str {
        &self.nodes[node].spec.name
    }

    fn local_ms(&self, actor: ActorId) -> f64 {
        let local = match actor {
            ActorId::Node(NodeId(n)) => self.nodes[n].clock.local_ms(self.now),
            ActorId::Client(ClientId(c)) => self.processes[c].clock.local_ms(self.now),
            ActorId::Member(MemberId { service, member }) => self.services[service].members[member]
                .clock
                .local_ms(self.now),
            _ => self.now as f64 / 1000.0,
        };
        (local * 1000.0).round() / 1000.0
    }

    /// After every event: a snapshot if the world changed, and the checks
    /// over data.
    fn after_event(&mut self) {
        if !self.changed {
            return;
        }
        self.changed = false;
        let last = self.event_count.saturating_sub(1);
        let nodes = &self.nodes;
        let roster = &self.roster;
        let value_of = |node: &str, key: &str| -> Option<Vec<u8>> {
            let n = nodes.iter().find(|n| n.spec.name == node)?;
            if !n.up {
                return None;
            }
            match &n.engine.keyspace().peek(key.as_bytes())?.value {
                lockstep_engine::value::Value::String(bytes) => Some(bytes.clone()),
                _ => Some(b"(not a string)".to_vec()),
            }
        };
        let now = self.now;
        let sections = self.invariants.sections.clone();
        let resources = &self.resources;
        let databases = &self.databases;
        let state = || world_state(nodes, roster, &sections, resources, databases, now);
        let found = self.invariants.check_state(&value_of, &state, now, last);
        self.report(found);
        for at in self.invariants.take_stale_deadlines() {
            self.schedule(at, Pending::StaleCheck);
        }
        self.snapshot_last_event();
    }

    /// Writes new violations into the trace.
    fn report(&mut self, found: Vec<Violation>) {
        for violation in found {
            let invariant = crate::invariants::describe(&self.invariants.specs[violation.index]);
            let seq = self.emit_world(What::Violation {
                invariant,
                message: violation.message.clone(),
                caused_by: violation.caused_by.clone(),
            });
            self.invariants.set_violation_seq(violation.index, seq);
        }
    }

    fn finish(&mut self) -> Trace {
        self.snapshot_last_event();
        let mut verdicts = self.invariants.verdicts();
        let liveness = self.liveness();
        let mut actors = self.roster.trace_actors();
        for actor in &mut actors {
            if actor.kind == crate::trace::ActorKind::Node {
                actor.note = self
                    .scenario
                    .nodes
                    .iter()
                    .find(|n| n.name == actor.name)
                    .and_then(|n| crate::trace::script_speed_note(n.script_speed().get()));
            }
        }
        let mut trace = Trace {
            format_version: crate::trace::FORMAT_VERSION,
            title: self.scenario.title.clone(),
            seed: self.options.seed,
            actors,
            events: std::mem::take(&mut self.events),
            verdicts: Vec::new(),
            end_us: self.now,
            stopped: std::mem::take(&mut self.stopped),
            unstruck_faults: (0..self.struck.len())
                .filter(|&i| !self.struck[i])
                .collect(),
        };
        // Metrics are read from the recorded events; a run that keeps no
        // trace (the explorer's search) has nothing to measure.
        if self.options.record {
            verdicts.extend(self.scenario.metrics.iter().map(|m| m.verdict(&trace)));
        }
        verdicts.extend(liveness);
        trace.verdicts = verdicts;
        trace
    }

    /// The scenario's liveness check, if it declares one. A failure points
    /// at the first client that failed with an error, or else at the last
    /// event, where what is missing shows.
    fn liveness(&self) -> Option<Verdict> {
        let spec = self.scenario.liveness.as_ref()?;
        let mut missing = Vec::new();
        let mut first_failure: Option<(u64, Time, String)> = None;
        for name in &spec.finished {
            if let Some(p) = self.processes.iter().find(|p| &p.spec.name == name) {
                // A client killed by a fault is excused: the question is
                // whether the others still get the work done.
                let killed = !p.alive && p.failed.is_none();
                if !p.finished && !killed {
                    missing.push(match &p.failed {
                        Some(error) => format!("{name} failed: {error}"),
                        None => format!("{name} did not finish"),
                    });
                    if let Some((seq, t)) = p.failed_at {
                        if first_failure.as_ref().is_none_or(|(s, _, _)| seq < *s) {
                            first_failure = Some((seq, t, name.clone()));
                        }
                    }
                }
            }
        }
        let mut short_of = None;
        if let Some((resource, want)) = &spec.accepted_writes {
            if let Some(r) = self.resources.iter().find(|r| &r.spec.name == resource) {
                if r.accepted() < *want {
                    missing.push(format!(
                        "{resource} accepted {} writes, fewer than {want}",
                        r.accepted()
                    ));
                    short_of.get_or_insert_with(|| resource.clone());
                }
            }
        }
        if let Some((name, want)) = &spec.entries {
            let count = self.entries_into(name);
            if count < *want {
                missing.push(format!(
                    "{count} entries into \"{name}\", fewer than {want}"
                ));
                short_of.get_or_insert_with(|| name.clone());
            }
        }
        let held = missing.is_empty();
        let (at_seq, at_us, subject) = match first_failure {
            _ if held => (None, None, None),
            Some((seq, t, client)) => (Some(seq), Some(t), Some(client)),
            None => (
                Some(self.event_count.saturating_sub(1)),
                Some(self.now),
                short_of.or_else(|| {
                    spec.finished
                        .iter()
                        .find(|name| missing.iter().any(|m| m.starts_with(name.as_str())))
                        .cloned()
                }),
            ),
        };
        Some(Verdict {
            invariant: "liveness (the work gets done)".into(),
            kind: VerdictKind::Liveness,
            subject,
            held,
            message: (!held).then(|| missing.join("; ")),
            at_seq,
            at_us,
        })
    }

    fn entries_into(&self, name: &str) -> u32 {
        self.processes
            .iter()
            .map(|p| p.entered_count.get(name).copied().unwrap_or(0))
            .sum()
    }

    /// Counts trigger events and schedules the faults they release.
    fn observe_trigger(&mut self, actor: ActorId, what: &What) {
        if self.armed.is_empty() {
            return;
        }
        let Some((kind, text)) = crate::trigger::counted(what) else {
            return;
        };
        let name = self.name(actor).to_string();
        let mut release = Vec::new();
        for armed in &mut self.armed {
            let Some(trigger) = self.faults[armed.fault].after.as_ref() else {
                continue;
            };
            if !armed.fired && trigger.counts(&name, kind, text) {
                armed.seen += 1;
                if armed.seen == trigger.nth {
                    armed.fired = true;
                    release.push(armed.fault);
                }
            }
        }
        for fault in release {
            let delay = ms(self.faults[fault].at_ms);
            if delay == 0 {
                self.immediate.push(fault);
            } else {
                self.schedule(self.now + delay, Pending::Fault(fault));
            }
        }
    }

    /// Applies faults released with no delay.
    pub(super) fn apply_immediate_faults(&mut self) {
        while !self.immediate.is_empty() {
            for fault in std::mem::take(&mut self.immediate) {
                self.fault(fault);
            }
        }
    }
}

/// What a learner sees at one step.
fn world_state(
    nodes: &[Node],
    roster: &Roster,
    sections: &crate::invariants::Sections,
    resources: &[Resource],
    databases: &[crate::database::Database<databases::Route>],
    now: Time,
) -> WorldState {
    WorldState {
        nodes: nodes
            .iter()
            .map(|n| (n.spec.name.clone(), n.state(now, roster)))
            .collect(),
        holders: sections
            .inside
            .iter()
            .filter(|(_, inside)| !inside.is_empty())
            .map(|(name, inside)| (name.clone(), inside.keys().cloned().collect()))
            .collect(),
        resources: resources
            .iter()
            .map(|r| (r.spec.name.clone(), r.state()))
            .collect::<BTreeMap<String, ResourceState>>(),
        databases: databases
            .iter()
            .map(|d| (d.spec.name.clone(), d.state()))
            .collect(),
        // Filled in by the snapshot (`World::consensus_state`).
        consensus: BTreeMap::new(),
    }
}
