//! The deterministic world: nodes (each an engine), client processes, the
//! network, clocks, faults, the event trace and invariant checks.
//!
//! A [`Scenario`] (TOML, `SCENARIO.md`) describes the world; [`run`] plays
//! it with a seed and returns a [`Trace`] (JSON, `TRACE.md`). Everything
//! random comes from one ChaCha8 generator seeded from that seed, and every
//! collection the simulator walks is ordered, so the same scenario and seed
//! give the same trace byte for byte, natively and in wasm.
//!
//! The public surface is what the front ends and lessons use: [`run`],
//! [`run_with`], [`World`] (to step a run, and to take a node's keys out of
//! it at a step: [`World::node_keys`]), [`Scenario`] and its types
//! ([`scenario`], [`fault`], [`budget`]), [`ScenarioError`], [`Trace`] and
//! its types ([`trace`]), the timeline text ([`timeline`]), metrics
//! ([`metric`]) and the explorer with grading ([`explore`]). The actors'
//! insides (nodes, clients, network, resources, databases…) are private to
//! the crate, so they can be reshaped without touching the front ends.
//!
//! # Architecture
//!
//! - `actor`: who is who. Every actor has a typed `ActorId` (a
//!   node, client, resource, database, traffic generator, consensus
//!   member, the operator, the sentinel, or the world itself), and the
//!   roster gives names in the trace's actor order.
//! - `world`: the loop. [`World::step`] takes the earliest pending event
//!   (ties in the order they were scheduled), hands it to the actor it
//!   concerns, applies the faults it released and checks the invariants;
//!   [`World::run`] is `step` in a loop. The handlers that involve several
//!   actors at once live in `world/*.rs` by actor kind (clients, nodes'
//!   command routing, replication stream and failover, pub/sub,
//!   databases, consensus, traffic, operators, deploys, faults).
//! - `node`: a node's own behaviour, acting on the node alone through a
//!   `NodeContext` (the time; the events, timers and replies it asks for,
//!   which the world applies in order): its disk (`node/persistence.rs`),
//!   its life cycle (`node/lifecycle.rs`), active expiry
//!   (`node/expiry.rs`), a command's run on the engine (`node/exec.rs`), a
//!   busy script's answers and SCRIPT KILL (`node/busy.rs`), its side of
//!   replication (`node/replication.rs`), WAIT — its checks, which write
//!   it waits for, when and what it answers (`node/wait.rs`) — and the
//!   commands it answers about its role before the engine, REPLICAOF and
//!   a replica's READONLY (`node/role.rs`; the world carries out a change
//!   of role, as it involves other nodes and clients).
//! - `sentinel`: Redis Sentinel's decisions — when the primary is down,
//!   which replica to promote, when to send SCRIPT KILL — from a narrow
//!   view of the nodes, returned as actions the world carries out
//!   (`world/nodes.rs`: promotion, demotion of the old primary, sending).
//! - `network`: links, latency, loss, partitions, latency spikes — and the
//!   messages in flight, which it owns from send to delivery or loss.
//! - `client`: the Lua VM the client programs run in.
//! - `trace`, `event_facts`, `timeline`: what is recorded, its facts, and
//!   the text a terminal shows.
//! - `explore`: the search for a fault schedule that breaks an invariant,
//!   its split across workers, and grading of a "fix it" answer.
//!
//! Where to add…
//! - **a fault kind**: its definition (parameters, checks, wording, how the
//!   explorer varies it) in `fault.rs`, its mechanism in
//!   `world/faults.rs` (and `network.rs` if it acts on links), its event
//!   in `trace.rs`'s `What` with `event_facts.rs` and the web's lanes; then
//!   `SCENARIO.md`.
//! - **an invariant**: its TOML in `scenario.rs` (`InvariantSpec`), its
//!   check in `invariants.rs` (over the world's state after each event,
//!   or at the end); a verdict carries a kind, a subject and `at_seq`.
//! - **a node behaviour**: if it needs only the node (its engine, disk,
//!   clock) and answers its callers, a method on `Node` in a `node/`
//!   module taking a `NodeContext`, run by the world with `with_node`; if
//!   it changes other actors as it happens (the replication stream, a
//!   failover), the node's decision in `node/` and its carrying out in
//!   `world/nodes.rs`, which sends through the network.
//! - **a story**: one file in `lessons/stories/` with its `[expect]`
//!   table; the catalogue in `crates/lessons` picks it up, and one test
//!   checks every story's verdicts (re-bless the golden digests).

pub(crate) mod actor;
pub mod budget;
pub(crate) mod bytes;
pub(crate) mod client;
pub(crate) mod clock;
pub(crate) mod consensus;
pub(crate) mod database;
pub mod error;
pub(crate) mod event_facts;
pub(crate) mod eventual;
pub mod explore;
pub mod fault;
pub(crate) mod invariants;
pub mod metric;
pub(crate) mod network;
pub(crate) mod node;
pub(crate) mod populate;
pub(crate) mod resource;
pub mod scenario;
pub(crate) mod sentinel;
pub mod timeline;
pub mod trace;
pub(crate) mod traffic;
pub(crate) mod trigger;
pub(crate) mod world;

use std::rc::Rc;

pub use error::{ErrorKind, ScenarioError};
pub use scenario::Scenario;
pub use trace::Trace;
pub use world::{DumpedKey, NodeKeys, RunOptions, Spares, World};

/// Runs `scenario` with its own faults and `seed`, recording everything.
pub fn run(scenario: &Scenario, seed: u64) -> Result<Trace, ScenarioError> {
    run_with(
        Rc::new(scenario.clone()),
        scenario.faults.clone(),
        RunOptions::new(seed),
    )
}

/// Runs `scenario` with `faults` in place of its own.
pub fn run_with(
    scenario: Rc<Scenario>,
    faults: Vec<scenario::FaultSpec>,
    options: RunOptions,
) -> Result<Trace, ScenarioError> {
    Ok(World::new(scenario, faults, options)?.run())
}
