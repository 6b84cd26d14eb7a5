//! A model of Redis 7 with no I/O and no wall clock.
//!
//! The caller owns time: every entry point takes `now_ms`, the node's clock in
//! milliseconds since the Unix epoch. That is what lets the simulator pause,
//! skew and jump clocks, and what keeps runs deterministic. Iteration orders
//! never depend on a random hash seed.
//!
//! Replies are protocol-independent [`Reply`] values; [`encode`] turns them into
//! RESP2 or RESP3 bytes exactly as Redis 7.0 writes them.

pub mod blocking;
pub mod client;
pub mod command;
pub mod commands;
pub mod cost;
pub mod encode;
pub mod engine;
pub mod glob;
pub mod inline;
pub mod keyspace;
mod names;
pub mod notify;
pub mod numbers;
pub mod reply;
pub mod repr;
pub mod scripting;
pub mod server;
pub mod tracking;
pub mod types;
pub mod value;

pub use blocking::Unblocked;
pub use client::{ClientId, Protocol};
pub use engine::{Dataset, Engine, Outcome};
pub use reply::Reply;
pub use repr::repr;
