//! Scripting as Redis 7 does it: EVAL and SCRIPT on the real Lua 5.1, with
//! Redis's environment (`redis.*`, read-only globals, its `pcall` and
//! `math.random`), reply conversion both ways, and script time.
//!
//! # Script time
//! A script costs simulated time for every Lua VM instruction it runs and
//! every C function it calls, plus the cost of every command it calls (the
//! figures and how they were calibrated: [`crate::cost`]). A watcher
//! ([`ScriptWatcher`]) is consulted as the script runs, with the time it has
//! taken so far; that is where a server or a simulator lets other clients in
//! (they get BUSY past `busy-reply-threshold`) and where SCRIPT KILL takes
//! effect, just as Redis handles events from inside its Lua hook.

mod active;
mod command_args;
mod convert;
mod environment;
mod functions;
mod lrand48;
mod run;
mod watcher;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

pub use convert::{lua_to_reply, reply_to_lua, ScriptResp};
pub use environment::ScriptVm;
pub use functions::{FunctionInfo, Libraries, Library};
pub use lrand48::Lrand48;
pub use run::{run_script, RunMode, ScriptRun, SCRIPT_CLIENT_ID};
pub use watcher::{
    busy_reply, function_stats, BusyAnswer, BusyClient, Replay, RunningScript, ScriptProgress,
    ScriptWatcher,
};

/// A line a script wrote with `redis.log`, for the node's log in the UI.
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptLogLine {
    pub level: u8,
    pub text: String,
}

/// The node's scripting state: cached scripts, the Lua state, the random
/// generator scripts draw from and the log they write.
#[derive(Default)]
pub struct Scripting {
    /// sha1 (lower-case hex) -> body, as SCRIPT LOAD and EVAL cache them.
    pub scripts: BTreeMap<String, Vec<u8>>,
    /// FUNCTION libraries.
    pub libraries: Libraries,
    /// How many times FUNCTION LOAD, DELETE, FLUSH or RESTORE changed the
    /// libraries: they are data (Redis counts them in `server.dirty`, so
    /// they reach the AOF and the replicas), unlike the script cache.
    pub library_changes: u64,
    /// Built on first use; a clone of the engine rebuilds its own.
    pub(crate) vm: Option<ScriptVm>,
    pub(crate) random: Rc<RefCell<Lrand48>>,
    pub(crate) log: Rc<RefCell<Vec<ScriptLogLine>>>,
    /// Most instructions a single script may run, for hosts with nobody to
    /// send SCRIPT KILL (the page's console). `None`: no limit, as in Redis.
    pub instruction_limit: Option<u64>,
    /// How fast this node runs scripts (a node declared slower).
    pub speed: crate::cost::ScriptSpeed,
    pub(crate) watcher: Option<Rc<RefCell<dyn ScriptWatcher>>>,
    /// While a script runs: the time, in microseconds, its command now
    /// running reads where Redis 7.0 reads the clock afresh (`TIME`); `None`
    /// between scripts. Key expiry keeps the script's start time, as Redis
    /// pretends time stands still for it.
    pub(crate) clock_us: Option<i64>,
    /// The body EVAL hashed last and its sha, so that a script sent again
    /// and again (the usual case) is compared, not hashed, each time.
    last_hashed: Option<(Vec<u8>, String)>,
}

impl Clone for Scripting {
    fn clone(&self) -> Self {
        Scripting {
            scripts: self.scripts.clone(),
            libraries: self.libraries.clone(),
            library_changes: self.library_changes,
            vm: None,
            random: Rc::new(RefCell::new(self.random.borrow().clone())),
            log: Rc::new(RefCell::new(self.log.borrow().clone())),
            instruction_limit: self.instruction_limit,
            speed: self.speed,
            watcher: None,
            clock_us: None,
            last_hashed: self.last_hashed.clone(),
        }
    }
}

impl Scripting {
    /// [`sha1_hex`] of an EVAL body, remembered for the body seen last.
    pub(crate) fn sha_of_body(&mut self, body: &[u8]) -> String {
        match &self.last_hashed {
            Some((last, sha)) if last.as_slice() == body => sha.clone(),
            _ => {
                let sha = sha1_hex(body);
                self.last_hashed = Some((body.to_vec(), sha.clone()));
                sha
            }
        }
    }
}

impl fmt::Debug for Scripting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scripting")
            .field("scripts", &self.scripts.len())
            .field("vm_built", &self.vm.is_some())
            .field("instruction_limit", &self.instruction_limit)
            .field("speed", &self.speed)
            .finish()
    }
}

/// A node's Lua state for scripts, kept so that a fresh node of a later run
/// need not build one: building it is most of what a short simulated run
/// costs, and the explorer makes thousands. It carries no data — scripts,
/// libraries, the random generator's position and the log all start as a
/// fresh node's would.
pub struct SpareScripting {
    vm: ScriptVm,
    random: Rc<RefCell<Lrand48>>,
    log: Rc<RefCell<Vec<ScriptLogLine>>>,
}

impl Scripting {
    /// Gives up the Lua state for another node, if it has one that holds
    /// nothing of this node's (no FUNCTION libraries) and is sound.
    pub fn take_spare(&mut self) -> Option<SpareScripting> {
        if !self.libraries.libraries.is_empty() {
            return None;
        }
        let vm = self.vm.take()?;
        if vm.vm.is_poisoned() || !vm.functions.is_empty() {
            return None;
        }
        Some(SpareScripting {
            vm,
            random: Rc::clone(&self.random),
            log: Rc::clone(&self.log),
        })
    }

    /// Takes over a spare Lua state, if this node has none yet and no
    /// libraries. The generator and log it is bound to are reset to this
    /// node's own, so scripts behave exactly as in a state built afresh.
    pub fn adopt_spare(&mut self, spare: SpareScripting) -> bool {
        if self.vm.is_some() || !self.libraries.libraries.is_empty() {
            return false;
        }
        *spare.random.borrow_mut() = self.random.borrow().clone();
        *spare.log.borrow_mut() = self.log.borrow().clone();
        self.random = spare.random;
        self.log = spare.log;
        self.vm = Some(spare.vm);
        true
    }

    /// Lines scripts logged since the last call.
    pub fn drain_log(&self) -> Vec<ScriptLogLine> {
        std::mem::take(&mut *self.log.borrow_mut())
    }

    /// Forgets every cached script (SCRIPT FLUSH) and starts a fresh Lua state.
    pub fn flush(&mut self) {
        self.scripts.clear();
        self.vm = None;
    }
}

/// `sha1hex` of a script body, as Redis names scripts.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}
