//! The deterministic world: nodes (each an engine), client processes, the
//! network, clocks, faults, the event trace and invariant checks.
//!
//! Empty for now: the engine and scripting come first.
