//! The embedded PUC-Rio Lua 5.1, the interpreter Redis runs scripts with,
//! for native and `wasm32-unknown-unknown` builds.
//!
//! Using the real interpreter rather than a reimplementation gives Redis's
//! exact error texts (`attempt to index local 't' (a nil value)`), number
//! formatting (`%.14g`: `tostring(0.1+0.2)` is `0.3`) and standard library.
//!
//! [`LuaVm`] wraps one state with what the simulator needs around scripts:
//! a memory cap, an instruction count with a [`Budget`] and a checkpoint that
//! can stop a runaway script uncatchably, and a way to notice a state that
//! can no longer be trusted and rebuild it. Host functions (the engine's
//! `redis.*` bindings) are registered with plain [`mlua`] calls on
//! [`LuaVm::lua`]. [`protected_call`] runs a script body and returns the
//! error value it raised unchanged, as Redis reports it. [`libs::install`]
//! adds the libraries Redis bundles for scripts (`cjson`, `bit`, `struct`,
//! `cmsgpack`), byte for byte as Redis's C versions behave.
//!
//! Things to know when writing host functions:
//! - A Lua error unwinds like longjmp, natively and on wasm: Rust frames it
//!   skips do not run destructors. mlua's own API is built for this; raw
//!   `mlua::ffi` calls that may raise must not be made while holding values
//!   with `Drop` or live `RefCell` borrows.
//! - `mlua::Integer` is 32 bits on wasm32. Carry Redis integers as `f64` or
//!   `i64` on the Rust side.
//! - A trap, a Rust panic or a JS stack overflow is not a Lua error; the
//!   state is then poisoned ([`LuaVm::is_poisoned`]) and must be rebuilt.
//! - `print` writes to stdout natively and nowhere on wasm32; a host that
//!   wants script output replaces the global.
//! - Do not use mlua's `set_hook`: it would replace the watchdog's hook.

pub mod cnum;
pub mod libs;
mod protected;
mod sandbox;
mod vm;
#[cfg(target_arch = "wasm32")]
mod wasm_unwind;
mod watchdog;

pub use mlua;
pub use protected::protected_call;
pub use vm::{CallCounter, Limits, LuaVm, RunError};
pub use watchdog::{Budget, CallCost, StopReason, Verdict};
