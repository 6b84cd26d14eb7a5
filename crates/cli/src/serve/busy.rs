//! A long script and the other connections, as in Redis: past
//! `busy-reply-threshold` they are answered BUSY instead of waiting, SCRIPT
//! KILL stops a script that has not written, SHUTDOWN NOSAVE ends the
//! server.
//!
//! The script runs on its connection's thread with the engine lock held.
//! The engine calls the [`ServeWatcher`] every few thousand Lua
//! instructions; it publishes the script's progress in the [`ScriptGate`],
//! which other connections read when they cannot get the lock, and picks up
//! a kill they asked for. The watcher also keeps real time in step with
//! the script's simulated time, so the threshold passes when a client
//! would expect it to.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use lockstep_engine::scripting::{RunningScript, ScriptProgress, ScriptWatcher};
use lockstep_engine::Reply;

#[derive(Debug, Default)]
struct GateState {
    /// When the command now holding the engine lock started.
    command_started: Option<Instant>,
    /// The running script's last reported progress.
    progress: Option<ScriptProgress>,
    /// SCRIPT KILL was accepted from another connection.
    kill: bool,
    /// What the running script is, for FUNCTION STATS.
    running: Option<RunningScript>,
}

/// What other connections can see of a running script.
#[derive(Debug, Default)]
pub struct ScriptGate {
    state: Mutex<GateState>,
}

impl ScriptGate {
    fn lock(&self) -> MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A command starts running under the engine lock.
    pub fn command_started(&self, at: Instant) {
        let mut state = self.lock();
        *state = GateState {
            command_started: Some(at),
            ..GateState::default()
        };
    }

    /// The command is over (and with it any script it ran).
    pub fn command_finished(&self) {
        *self.lock() = GateState::default();
    }

    /// The running script's progress, if it is past the busy threshold.
    pub fn busy(&self) -> Option<ScriptProgress> {
        self.lock().progress.filter(ScriptProgress::is_busy)
    }

    /// FUNCTION STATS while the script is busy, as Redis answers it from
    /// the script's hook; `None` if nothing is known of what runs.
    pub fn function_stats(&self, progress: ScriptProgress) -> Option<Reply> {
        self.lock().running.as_ref().map(|r| r.stats(progress))
    }

    /// Asks the running script to stop (SCRIPT KILL accepted).
    pub fn kill(&self) {
        self.lock().kill = true;
    }
}

/// The engine's watcher in `lockstep serve`.
pub struct ServeWatcher {
    gate: std::sync::Arc<ScriptGate>,
}

impl ServeWatcher {
    pub fn new(gate: std::sync::Arc<ScriptGate>) -> ServeWatcher {
        ServeWatcher { gate }
    }
}

impl ScriptWatcher for ServeWatcher {
    fn tick(&mut self, progress: ScriptProgress) -> bool {
        let (started, kill) = {
            let mut state = self.gate.lock();
            state.progress = Some(progress);
            (state.command_started, std::mem::take(&mut state.kill))
        };
        if kill {
            return true;
        }
        // Simulated time runs ahead of a fast interpreter: wait for the
        // clock to catch up, so that "5 seconds into the script" is also
        // five seconds for the clients waiting on it.
        if let Some(started) = started {
            let simulated = Duration::from_micros(progress.elapsed_us);
            if let Some(ahead) = simulated.checked_sub(started.elapsed()) {
                if ahead >= Duration::from_millis(1) {
                    std::thread::sleep(ahead);
                }
            }
        }
        false
    }

    fn running(&mut self, script: &RunningScript) {
        self.gate.lock().running = Some(script.clone());
    }

    /// TIME inside a script reads the real clock, as in Redis.
    fn wall_clock_us(&mut self) -> Option<i64> {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        i64::try_from(since_epoch.as_micros()).ok()
    }
}
