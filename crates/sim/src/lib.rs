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
//! [`run_with`], [`World`] (to step a run), [`Scenario`] and its types
//! ([`scenario`], [`fault`], [`budget`]), [`ScenarioError`], [`Trace`] and
//! its types ([`trace`]), the timeline text ([`timeline`]), metrics
//! ([`metric`]) and the explorer with grading ([`explore`]). The actors'
//! insides (nodes, clients, network, resources, databases…) are private to
//! the crate, so they can be reshaped without touching the front ends.

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
