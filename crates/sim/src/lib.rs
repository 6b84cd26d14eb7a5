//! The deterministic world: nodes (each an engine), client processes, the
//! network, clocks, faults, the event trace and invariant checks.
//!
//! A [`Scenario`] (TOML, `SCENARIO.md`) describes the world; [`run`] plays
//! it with a seed and returns a [`Trace`] (JSON, `TRACE.md`). Everything
//! random comes from one ChaCha8 generator seeded from that seed, and every
//! collection the simulator walks is ordered, so the same scenario and seed
//! give the same trace byte for byte, natively and in wasm.

pub mod budget;
pub mod bytes;
pub mod client;
pub mod clock;
pub mod consensus;
pub mod database;
pub mod error;
pub mod event_facts;
pub mod eventual;
pub mod explore;
pub mod fault;
pub mod invariants;
pub mod metric;
pub mod network;
pub mod node;
pub mod populate;
pub mod resource;
pub mod scenario;
pub mod timeline;
pub mod trace;
pub mod traffic;
pub mod trigger;
pub mod world;

use std::rc::Rc;

pub use error::{ErrorKind, ScenarioError};
pub use scenario::Scenario;
pub use trace::Trace;
pub use world::{RunOptions, Spares, World};

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
