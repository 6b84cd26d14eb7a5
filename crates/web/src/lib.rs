//! The Lockstep playground: a Yew app that runs the Redis model in the page.
//!
//! [`console`] (the Redis console), [`lab`] (the scenario lab: stories,
//! timeline, world state, deep links, the explorer's driver) and [`learn`]
//! (routes, the lesson catalogue, the lesson player, progress) hold the logic
//! and are tested natively; [`ui`] holds the Yew components, which are thin
//! and exist only on wasm32 (the end-to-end tests in `tests/e2e/` drive them
//! in a real browser).

pub mod console;
pub mod lab;
pub mod learn;

#[cfg(target_arch = "wasm32")]
pub mod ui;

/// The web worker's message loop (the `lockstep-app` module started in a
/// worker by `web/lockstep-worker.js`).
#[cfg(target_arch = "wasm32")]
pub mod worker_host;
