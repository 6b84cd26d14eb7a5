//! One Lua 5.1 state with its limits: the unit a Redis node or a client
//! program runs scripts in.

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use mlua::{Lua, LuaOptions, StdLib};

use crate::watchdog::{self, Budget, StopReason, Watchdog};
use crate::{protected, sandbox};

/// Limits fixed when a state is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes the Lua heap may hold; an allocation beyond it fails with
    /// Lua's "not enough memory" error, which scripts see like any other.
    /// `None`: no cap.
    pub memory: Option<usize>,
    /// VM instructions between two watchdog checks. Smaller is more precise
    /// (instruction counts are multiples of it) and slower.
    pub check_every: u32,
}

impl Default for Limits {
    /// 64 MiB of Lua heap, a check every 1,000 instructions.
    fn default() -> Limits {
        Limits {
            memory: Some(64 << 20),
            check_every: 1_000,
        }
    }
}

/// Why a run produced no result.
#[derive(Debug)]
pub enum RunError {
    /// The script failed to compile or raised an error. The state is fine.
    Lua(mlua::Error),
    /// The watchdog stopped the script. The state is fine.
    Stopped(StopReason),
    /// An earlier run never finished normally (a Rust panic or a JS
    /// exception escaped it) or a checkpoint panicked: the state may be
    /// inconsistent. Call [`LuaVm::rebuild`].
    Poisoned,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Lua(error) => write!(f, "{error}"),
            RunError::Stopped(reason) => write!(f, "{reason}"),
            RunError::Poisoned => f.write_str("the Lua state is poisoned and must be rebuilt"),
        }
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            RunError::Lua(error) => Some(error),
            _ => None,
        }
    }
}

impl From<mlua::Error> for RunError {
    fn from(error: mlua::Error) -> RunError {
        RunError::Lua(error)
    }
}

/// A sandboxed Lua 5.1 state with a memory cap and an instruction watchdog.
///
/// It loads the libraries Redis gives scripts that need no host access
/// (base, table, string, math), without `dofile`/`loadfile` and without
/// loading precompiled bytecode. Host functions are added through
/// [`LuaVm::lua`] with plain mlua calls.
pub struct LuaVm {
    lua: Lua,
    limits: Limits,
    watchdog: Rc<Watchdog>,
    /// Set while a run is in progress. Still set outside a run means the run
    /// was abandoned half-way.
    running: Cell<bool>,
}

impl LuaVm {
    /// Builds a fresh state.
    pub fn new(limits: Limits) -> mlua::Result<LuaVm> {
        let lua = Lua::new_with(
            StdLib::TABLE | StdLib::STRING | StdLib::MATH,
            LuaOptions::default(),
        )?;
        protected::install(&lua)?;
        sandbox::apply(&lua)?;
        if let Some(bytes) = limits.memory {
            lua.set_memory_limit(bytes)?;
        }
        let watchdog = Rc::new(Watchdog::new(limits.check_every));
        watchdog::install(&lua, Rc::clone(&watchdog))?;
        Ok(LuaVm {
            lua,
            limits,
            watchdog,
            running: Cell::new(false),
        })
    }

    /// The state, for registering host functions and loading code. Code run
    /// directly through it is counted but has no budget; use [`LuaVm::run`]
    /// for scripts.
    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// The limits the state was built with.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Runs `body` (typically loading and calling a script) under `budget`.
    ///
    /// If the watchdog stops the script, the result is
    /// [`RunError::Stopped`] whatever `body` made of the error.
    pub fn run<R>(
        &mut self,
        budget: Budget,
        body: impl FnOnce(&Lua) -> mlua::Result<R>,
    ) -> Result<R, RunError> {
        if self.is_poisoned() {
            return Err(RunError::Poisoned);
        }
        self.watchdog.begin_run(budget);
        self.running.set(true);
        let result = watchdog::rearm(&self.lua, &self.watchdog).and_then(|()| body(&self.lua));
        self.running.set(false);
        let stopped = self.watchdog.end_run();
        if watchdog::rearm(&self.lua, &self.watchdog).is_err() {
            // Without its hook the state could run away next time.
            self.running.set(true);
        }
        match (stopped, result) {
            (Some(reason), _) => Err(RunError::Stopped(reason)),
            (None, Ok(value)) => Ok(value),
            (None, Err(error)) => Err(RunError::Lua(error)),
        }
    }

    /// VM instructions executed by the current or last run, in steps of
    /// [`Limits::check_every`].
    pub fn instructions(&self) -> u64 {
        self.watchdog.instructions()
    }

    /// Counts calls to C functions from now on, each adding its cost to
    /// [`LuaVm::c_calls`]: `costs` names functions by their global path
    /// (`"tostring"`, `"string.format"`); any other C function (host
    /// functions included) costs `default`. Calls to Lua functions are not
    /// counted: their instructions are. The units are the caller's.
    pub fn set_call_costs(
        &self,
        costs: &[(&str, crate::CallCost)],
        default: u64,
    ) -> mlua::Result<()> {
        let addresses = watchdog::c_function_addresses(&self.lua, costs)?;
        self.watchdog.set_call_costs(addresses, default);
        watchdog::rearm(&self.lua, &self.watchdog)
    }

    /// C function calls made by the current or last run, and the sum of
    /// their costs (see [`LuaVm::set_call_costs`]).
    pub fn c_calls(&self) -> (u64, u64) {
        self.watchdog.c_calls()
    }

    /// A handle that reads [`LuaVm::c_calls`] from inside a checkpoint or
    /// host function, while the state is busy running.
    pub fn call_counter(&self) -> CallCounter {
        CallCounter(Rc::clone(&self.watchdog))
    }

    /// Sets the function called at every watchdog check during runs, with
    /// the instructions run so far. It can advance simulated time, answer
    /// other clients, and stop the script (as `SCRIPT KILL` does). Returns
    /// false if called from inside the checkpoint itself.
    pub fn set_checkpoint(&self, checkpoint: impl FnMut(u64) -> crate::Verdict + 'static) -> bool {
        self.watchdog
            .set_checkpoint(Some(Box::new(checkpoint)))
            .is_some()
    }

    /// Removes the checkpoint.
    pub fn clear_checkpoint(&self) {
        let _ = self.watchdog.set_checkpoint(None);
    }

    /// Bytes the Lua heap holds now.
    pub fn used_memory(&self) -> usize {
        self.lua.used_memory()
    }

    /// True when the state can no longer be trusted; see
    /// [`RunError::Poisoned`].
    pub fn is_poisoned(&self) -> bool {
        self.running.get() || self.watchdog.is_poisoned()
    }

    /// Replaces the state with a fresh one with the same limits and
    /// checkpoint. Globals and host functions are gone: install them again.
    ///
    /// A poisoned state is leaked rather than closed, because closing it
    /// would run Lua's and mlua's cleanup over data that may be half-updated.
    pub fn rebuild(&mut self) -> mlua::Result<()> {
        let checkpoint = self.watchdog.set_checkpoint(None).flatten();
        let fresh = LuaVm::new(self.limits)?;
        if let Some(checkpoint) = checkpoint {
            let _ = fresh.watchdog.set_checkpoint(Some(checkpoint));
        }
        // The call costs are by address: the fresh state's functions are
        // at the same addresses (the same C code).
        if let Some((costs, default)) = self.watchdog.call_costs() {
            fresh.watchdog.set_call_costs(costs, default);
            watchdog::rearm(&fresh.lua, &fresh.watchdog)?;
        }
        let old = std::mem::replace(self, fresh);
        if old.is_poisoned() {
            std::mem::forget(old);
        }
        Ok(())
    }
}

/// Reads the C function calls of a state's current run; see
/// [`LuaVm::call_counter`]. Follows the state it was taken from, not one
/// that replaces it after [`LuaVm::rebuild`].
#[derive(Clone)]
pub struct CallCounter(Rc<Watchdog>);

impl CallCounter {
    /// C function calls made so far by the current or last run, and the
    /// sum of their costs.
    pub fn c_calls(&self) -> (u64, u64) {
        self.0.c_calls()
    }
}

impl fmt::Debug for LuaVm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuaVm")
            .field("limits", &self.limits)
            .field("used_memory", &self.used_memory())
            .field("poisoned", &self.is_poisoned())
            .finish()
    }
}
