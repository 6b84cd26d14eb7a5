//! Counting the instructions a script runs, and stopping it.
//!
//! A Lua count hook fires every `check_every` VM instructions. Each firing
//! adds to the run's instruction count (the simulator charges simulated time
//! for it), checks the run's [`Budget`] and asks the host's checkpoint, if
//! one is set, whether to go on.
//!
//! Stopping raises a Lua error from the hook. Standard Lua 5.1 lets `pcall`
//! catch that, so a stop also re-arms the hook of the running coroutine to
//! fire on every instruction: the first instruction after a `pcall` or
//! `coroutine.resume` that caught the stop raises it again, until the error
//! reaches the host. This is how Redis makes `SCRIPT KILL` uncatchable.
//!
//! With call counting on ([`LuaVm::set_call_costs`](crate::LuaVm::set_call_costs))
//! the same hook also fires on every function call and adds the cost given
//! for the C function called (`tostring`, `string.format`, a host function):
//! one such call is one VM instruction but can cost a hundred times more.
//!
//! The hook is plain C ABI code on the raw state rather than mlua's hook API,
//! because re-arming has to happen on whichever coroutine is running, and it
//! raises errors with `lua_error`, which unwinds like longjmp: nothing with a
//! destructor is alive in the hook when it does.

use std::cell::{Cell, RefCell};
use std::ffi::{c_int, c_void, CStr};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use mlua::ffi;

/// How much a single run may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    /// Stop the run once it has executed this many VM instructions (counted
    /// in steps of [`crate::Limits::check_every`]). `None`: no limit.
    pub max_instructions: Option<u64>,
}

impl Budget {
    /// No instruction limit.
    pub const UNLIMITED: Budget = Budget {
        max_instructions: None,
    };

    /// Stop after `max` instructions.
    pub fn instructions(max: u64) -> Budget {
        Budget {
            max_instructions: Some(max),
        }
    }
}

/// What a checkpoint tells a running script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Keep running.
    Continue,
    /// Stop the script; it cannot catch this.
    Stop,
}

/// Why the watchdog stopped a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The run used up its [`Budget`].
    BudgetExhausted,
    /// The host's checkpoint returned [`Verdict::Stop`] (or panicked).
    Host,
}

impl StopReason {
    /// The error value the script sees while it is being stopped.
    fn lua_message(self) -> &'static CStr {
        match self {
            StopReason::BudgetExhausted => c"script stopped: instruction budget exhausted",
            StopReason::Host => c"script stopped by the host",
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.lua_message().to_string_lossy())
    }
}

/// Called at every check with the instructions the run has executed so far.
pub(crate) type Checkpoint = Box<dyn FnMut(u64) -> Verdict>;

/// The per-state bookkeeping the count hook reads and updates.
pub(crate) struct Watchdog {
    check_every: c_int,
    /// True between the start and the end of a run; outside runs the hook
    /// only counts.
    active: Cell<bool>,
    instructions: Cell<u64>,
    max_instructions: Cell<Option<u64>>,
    stopped: Cell<Option<StopReason>>,
    /// Set when the checkpoint panicked: the host's own state is suspect.
    poisoned: Cell<bool>,
    checkpoint: RefCell<Option<Checkpoint>>,
    /// Cost of each C function by its address; others cost `call_default`.
    call_costs: RefCell<Vec<(usize, CallCost)>>,
    call_default: Cell<u64>,
    /// Whether the hook also fires on calls (set by `set_call_costs`).
    counts_calls: Cell<bool>,
    /// C function calls made, and the sum of their costs, since the run began.
    c_calls: Cell<u64>,
    c_call_cost: Cell<u64>,
}

impl Watchdog {
    pub(crate) fn new(check_every: u32) -> Watchdog {
        Watchdog {
            check_every: c_int::try_from(check_every.max(1)).unwrap_or(c_int::MAX),
            active: Cell::new(false),
            instructions: Cell::new(0),
            max_instructions: Cell::new(None),
            stopped: Cell::new(None),
            poisoned: Cell::new(false),
            checkpoint: RefCell::new(None),
            call_costs: RefCell::new(Vec::new()),
            call_default: Cell::new(0),
            counts_calls: Cell::new(false),
            c_calls: Cell::new(0),
            c_call_cost: Cell::new(0),
        }
    }

    /// The events the hook fires on.
    fn mask(&self) -> c_int {
        if self.counts_calls.get() {
            ffi::LUA_MASKCOUNT | ffi::LUA_MASKCALL
        } else {
            ffi::LUA_MASKCOUNT
        }
    }

    pub(crate) fn set_call_costs(&self, costs: Vec<(usize, CallCost)>, default: u64) {
        *self.call_costs.borrow_mut() = costs;
        self.call_default.set(default);
        self.counts_calls.set(true);
    }

    /// The call costs set, if any, to give a rebuilt state.
    pub(crate) fn call_costs(&self) -> Option<(Vec<(usize, CallCost)>, u64)> {
        self.counts_calls
            .get()
            .then(|| (self.call_costs.borrow().clone(), self.call_default.get()))
    }

    pub(crate) fn c_calls(&self) -> (u64, u64) {
        (self.c_calls.get(), self.c_call_cost.get())
    }

    /// The cost of a call to the C function at `address`, if it depends on
    /// the size of the first argument.
    fn cost_of(&self, address: usize) -> CallCost {
        self.call_costs
            .try_borrow()
            .ok()
            .and_then(|costs| costs.iter().find(|(a, _)| *a == address).map(|(_, c)| *c))
            .unwrap_or(CallCost {
                fixed: self.call_default.get(),
                per_unit_ps: 0,
            })
    }

    /// Counts a call costing `cost`, its first argument `size` units long.
    fn on_call(&self, cost: CallCost, size: u64) {
        let cost = cost.fixed + size * cost.per_unit_ps / 1000;
        self.c_calls.set(self.c_calls.get() + 1);
        self.c_call_cost.set(self.c_call_cost.get() + cost);
    }

    pub(crate) fn begin_run(&self, budget: Budget) {
        self.instructions.set(0);
        self.c_calls.set(0);
        self.c_call_cost.set(0);
        self.max_instructions.set(budget.max_instructions);
        self.stopped.set(None);
        self.active.set(true);
    }

    /// Ends the run and says whether the watchdog stopped it.
    pub(crate) fn end_run(&self) -> Option<StopReason> {
        self.active.set(false);
        self.max_instructions.set(None);
        self.stopped.take()
    }

    pub(crate) fn instructions(&self) -> u64 {
        self.instructions.get()
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned.get()
    }

    /// Replaces the checkpoint; `None` while it is being called (a
    /// checkpoint cannot replace itself).
    pub(crate) fn set_checkpoint(
        &self,
        checkpoint: Option<Checkpoint>,
    ) -> Option<Option<Checkpoint>> {
        let mut slot = self.checkpoint.try_borrow_mut().ok()?;
        Some(std::mem::replace(&mut *slot, checkpoint))
    }

    /// Accounts for `ran` more instructions; returns the reason to stop, if
    /// the script must stop now.
    fn on_count(&self, ran: c_int) -> Option<StopReason> {
        let ran = u64::try_from(ran).unwrap_or(0);
        let total = self.instructions.get().saturating_add(ran);
        self.instructions.set(total);
        if !self.active.get() {
            return None;
        }
        if let Some(reason) = self.stopped.get() {
            return Some(reason);
        }
        let reason = if self.max_instructions.get().is_some_and(|max| total >= max) {
            Some(StopReason::BudgetExhausted)
        } else {
            self.ask_checkpoint(total)
        };
        self.stopped.set(reason);
        reason
    }

    fn ask_checkpoint(&self, total: u64) -> Option<StopReason> {
        let Ok(mut slot) = self.checkpoint.try_borrow_mut() else {
            return None;
        };
        let checkpoint = slot.as_mut()?;
        match catch_unwind(AssertUnwindSafe(|| checkpoint(total))) {
            Ok(Verdict::Continue) => None,
            Ok(Verdict::Stop) => Some(StopReason::Host),
            Err(_) => {
                self.poisoned.set(true);
                Some(StopReason::Host)
            }
        }
    }
}

/// What a call to a C function costs: `fixed`, plus `per_unit_ps`
/// (picoseconds) for each unit of its first argument's size — bytes of a
/// string, elements of a table's array part (`table.concat`'s work grows
/// with the table it joins). Units are the host's (nanoseconds for the
/// engine).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallCost {
    pub fixed: u64,
    pub per_unit_ps: u64,
}

/// The watchdog `install` stored in the state's registry (null if none).
unsafe fn watchdog_of(state: *mut ffi::lua_State) -> *const Watchdog {
    // A hook always has LUA_MINSTACK free slots; this uses one.
    ffi::lua_pushlightuserdata(state, registry_key());
    ffi::lua_rawget(state, ffi::LUA_REGISTRYINDEX);
    let watchdog = ffi::lua_touserdata(state, -1) as *const Watchdog;
    ffi::lua_settop(state, -2);
    watchdog
}

/// A function is being called. Calls to Lua functions are not counted
/// (their instructions are), and are told apart first, before the registry
/// lookup: a script of small Lua functions calls them constantly.
unsafe fn on_call_event(state: *mut ffi::lua_State, ar: *mut ffi::lua_Debug) {
    // "f" pushes the function being called (no allocation, no error).
    ffi::lua_getinfo(state, c"f".as_ptr(), ar);
    let function = ffi::lua_tocfunction(state, -1).map(|f| f as usize);
    ffi::lua_settop(state, -2);
    let Some(address) = function else {
        return;
    };
    let watchdog = watchdog_of(state);
    if watchdog.is_null() {
        return;
    }
    // SAFETY: as in `count_hook`.
    let cost = (*watchdog).cost_of(address);
    // In a call hook the stack is the called function's: index 1 is its
    // first argument. lua_objlen is read only for strings and tables (on a
    // number it would convert the argument in place).
    let size = if cost.per_unit_ps == 0 {
        0
    } else {
        match ffi::lua_type(state, 1) {
            ffi::LUA_TSTRING | ffi::LUA_TTABLE => ffi::lua_objlen(state, 1) as u64,
            _ => 0,
        }
    };
    (*watchdog).on_call(cost, size);
}

/// Registry key under which a state keeps a pointer to its [`Watchdog`].
static WATCHDOG_KEY: u8 = 0;

fn registry_key() -> *mut c_void {
    std::ptr::addr_of!(WATCHDOG_KEY) as *mut c_void
}

/// Keeps the watchdog alive as long as the Lua state: mlua drops app data
/// together with the state, and the registry holds only a raw pointer.
struct WatchdogSlot(#[allow(dead_code)] Rc<Watchdog>);

/// Attaches `watchdog` to `lua` and installs the count hook on the main
/// thread (coroutines created later inherit it).
pub(crate) fn install(lua: &mlua::Lua, watchdog: Rc<Watchdog>) -> mlua::Result<()> {
    let pointer = Rc::as_ptr(&watchdog) as *mut c_void;
    let every = watchdog.check_every;
    lua.set_app_data(WatchdogSlot(watchdog));
    // SAFETY: exec_raw runs the closure in a protected call on the main
    // state; the pushes fit the stack space it reserves.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            ffi::lua_pushlightuserdata(state, registry_key());
            ffi::lua_pushlightuserdata(state, pointer);
            ffi::lua_rawset(state, ffi::LUA_REGISTRYINDEX);
            ffi::lua_sethook(state, Some(count_hook), ffi::LUA_MASKCOUNT, every);
        })
    }
}

/// Puts the main thread's hook back to its normal interval (a stop leaves it
/// firing on every instruction) and restarts its count.
pub(crate) fn rearm(lua: &mlua::Lua, watchdog: &Watchdog) -> mlua::Result<()> {
    let every = watchdog.check_every;
    let mask = watchdog.mask();
    // SAFETY: lua_sethook neither allocates nor raises, so it needs no
    // protected call (which would cost a C closure and a pcall on every
    // script run, twice).
    lua.exec_raw_lua(|raw| unsafe {
        ffi::lua_sethook(raw.state(), Some(count_hook), mask, every);
    });
    Ok(())
}

/// The addresses of the C functions at the given global paths
/// (`"tostring"`, `"string.format"`), paired with their costs; paths that
/// do not name a C function are left out.
pub(crate) fn c_function_addresses(
    lua: &mlua::Lua,
    costs: &[(&str, CallCost)],
) -> mlua::Result<Vec<(usize, CallCost)>> {
    let globals = lua.globals();
    let mut out = Vec::new();
    for (path, cost) in costs {
        let mut value = mlua::Value::Table(globals.clone());
        for part in path.split('.') {
            value = match value {
                mlua::Value::Table(t) => t.raw_get(part)?,
                _ => mlua::Value::Nil,
            };
        }
        let mlua::Value::Function(function) = value else {
            continue;
        };
        let mut address = None;
        // SAFETY: lua_tocfunction only reads the pushed argument; the
        // closure leaves the stack as it found it.
        unsafe {
            lua.exec_raw::<()>(function, |state| {
                address = ffi::lua_tocfunction(state, -1).map(|f| f as usize);
                ffi::lua_settop(state, -2);
            })?;
        }
        if let Some(address) = address {
            out.push((address, *cost));
        }
    }
    Ok(out)
}

/// The count hook. Reads the watchdog from the registry; raising happens
/// after every Rust value in this frame is gone.
unsafe extern "C-unwind" fn count_hook(state: *mut ffi::lua_State, ar: *mut ffi::lua_Debug) {
    if (*ar).event == ffi::LUA_HOOKCALL {
        on_call_event(state, ar);
        return;
    }
    let watchdog = watchdog_of(state);
    if watchdog.is_null() {
        return;
    }
    // SAFETY: the pointer was stored by `install` and the Rc it points into
    // lives as long as the state (WatchdogSlot).
    let stop = (*watchdog).on_count(ffi::lua_gethookcount(state));
    if let Some(reason) = stop {
        ffi::lua_sethook(state, Some(count_hook), (*watchdog).mask(), 1);
        ffi::lua_pushstring(state, reason.lua_message().as_ptr());
        ffi::lua_error(state);
    }
}
