//! A long script and the other connections, as in Redis: past
//! `busy-reply-threshold` they are answered BUSY instead of waiting, SCRIPT
//! KILL stops a script that has not written, SHUTDOWN NOSAVE ends the
//! server.
//!
//! The script runs inside the event loop's call to the engine. The engine
//! calls the [`ServeWatcher`] every few thousand Lua instructions; once the
//! script is past the threshold the watcher runs turns of the event loop's
//! socket side itself ([`serve_while_busy`]) — accepting, reading and
//! answering every other connection without the engine — as Redis
//! processes events from its script hook (`processEventsWhileBlocked`).
//! The watcher also keeps real time in step with the script's simulated
//! time: when the script is ahead of the clock it waits, serving the other
//! connections meanwhile if the script is busy, so the threshold passes
//! when a client would expect it to and nobody waits for a BUSY reply.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use lockstep_engine::scripting::{BusyAnswer, RunningScript, ScriptProgress, ScriptWatcher};
use lockstep_engine::{encode, Reply};
use mio::Token;

use super::net::{Closing, Got, Net, LISTENER};

/// What the event loop and the watcher share about the command running.
#[derive(Debug, Default)]
pub struct ScriptState {
    /// The connection whose command runs: not answered while busy.
    pub running_conn: Cell<Option<Token>>,
    /// When the running script started.
    started: Cell<Option<Instant>>,
    /// The running script's last reported progress.
    progress: Cell<Option<ScriptProgress>>,
    /// SCRIPT KILL was accepted from another connection.
    kill: Cell<bool>,
    /// What the running script is, for FUNCTION STATS.
    running: RefCell<Option<RunningScript>>,
    /// Other connections were served while the engine was busy: their
    /// state changes and held-back commands wait for the loop.
    pub served_others: Cell<bool>,
}

impl ScriptState {
    /// The running script's progress, if it is past the busy threshold.
    pub fn busy(&self) -> Option<ScriptProgress> {
        self.progress.get().filter(ScriptProgress::is_busy)
    }

    /// The command is over (and with it any script it ran).
    pub fn command_finished(&self) {
        self.running_conn.set(None);
        self.started.set(None);
        self.progress.set(None);
        self.kill.set(false);
        if self.running.borrow().is_some() {
            *self.running.borrow_mut() = None;
        }
    }
}

/// The engine's watcher in `lockstep serve`.
pub struct ServeWatcher {
    script: Rc<ScriptState>,
    net: Rc<RefCell<Net>>,
}

impl ServeWatcher {
    pub fn new(script: Rc<ScriptState>, net: Rc<RefCell<Net>>) -> ServeWatcher {
        ServeWatcher { script, net }
    }
}

impl ScriptWatcher for ServeWatcher {
    fn tick(&mut self, progress: ScriptProgress) -> bool {
        self.script.progress.set(Some(progress));
        // Simulated time runs ahead of a fast interpreter: wait for the
        // clock to catch up, so that "5 seconds into the script" is also
        // five seconds for the clients waiting on it.
        let started = self.script.started.get().unwrap_or_else(|| {
            let now = Instant::now();
            self.script.started.set(Some(now));
            now
        });
        let caught_up = started + Duration::from_micros(progress.elapsed_us);
        if progress.is_busy() {
            serve_while_busy(&self.net, &self.script, progress, caught_up);
        } else if let Some(ahead) = caught_up.checked_duration_since(Instant::now()) {
            if ahead >= Duration::from_millis(1) {
                std::thread::sleep(ahead);
            }
        }
        self.script.kill.take()
    }

    fn started(&mut self) {
        self.script.started.set(Some(Instant::now()));
    }

    fn running(&mut self, script: &RunningScript) {
        *self.script.running.borrow_mut() = Some(script.clone());
    }

    /// TIME inside a script reads the real clock, as in Redis.
    fn wall_clock_us(&mut self) -> Option<i64> {
        let since_epoch = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        i64::try_from(since_epoch.as_micros()).ok()
    }
}

/// Turns of the socket side while the engine is busy, until `until` (at
/// least one turn): new connections are accepted, every connection but the
/// script's own is read and answered as a busy Redis answers, and output is
/// written. Returns early when SCRIPT KILL was accepted.
pub fn serve_while_busy(
    net: &Rc<RefCell<Net>>,
    script: &ScriptState,
    progress: ScriptProgress,
    until: Instant,
) {
    let mut net = net.borrow_mut();
    loop {
        let timeout = until.saturating_duration_since(Instant::now());
        let events = net.wait(Some(timeout));
        for event in events.iter() {
            if event.token() != LISTENER {
                net.note_event(
                    event.token(),
                    event.is_readable(),
                    event.is_read_closed() || event.is_error(),
                    event.is_writable(),
                );
            }
        }
        net.put_events(events);
        // The event loop may have taken the listener's and connections'
        // events just before the script started: accept and read whatever
        // is marked, not only what this wait reported.
        let accepted = net.accept_all();
        net.unregistered.extend(accepted.iter().copied());
        let mut ready = net.tokens();
        ready.retain(|&t| net.conn(t).is_some_and(|c| c.readable() || c.has_input()));
        for token in ready {
            if Some(token) == script.running_conn.get() {
                // Its bytes wait in the socket until its script is over.
                continue;
            }
            while net.conn(token).is_some_and(|c| c.readable()) {
                if net.read_once(token) == Got::Eof {
                    break;
                }
            }
            answer_while_busy(&mut net, token, script, progress);
        }
        net.flush_all(false);
        script.served_others.set(true);
        if script.kill.get() || Instant::now() >= until {
            return;
        }
    }
}

/// Answers the connection's complete commands while a script is busy;
/// stops at the first one that must wait for the script (kept in
/// `deferred`).
fn answer_while_busy(net: &mut Net, token: Token, script: &ScriptState, progress: ScriptProgress) {
    let Some(conn) = net.conn_mut(token) else {
        return;
    };
    if conn.closing != Closing::Open {
        return;
    }
    let mut out = Vec::new();
    let mut closing = Closing::Open;
    if conn.deferred.is_empty() {
        loop {
            let args = match conn.parser.next_command() {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(error) => {
                    out.extend_from_slice(&error.to_bytes());
                    closing = Closing::AfterFlush;
                    break;
                }
            };
            if is_function_stats(&args) {
                if let Some(running) = script.running.borrow().as_ref() {
                    encode::encode(&running.stats(progress), conn.protocol, &mut out);
                    continue;
                }
            }
            match conn.busy.answer(&args, progress) {
                BusyAnswer::Reply(reply) => encode::encode(&reply, conn.protocol, &mut out),
                BusyAnswer::Kill => {
                    script.kill.set(true);
                    encode::encode(&Reply::ok(), conn.protocol, &mut out);
                }
                // Redis exits at once, the script's writes unsaved.
                BusyAnswer::Shutdown => std::process::exit(0),
                BusyAnswer::Defer => {
                    conn.deferred.push_back(args);
                    break;
                }
            }
        }
    }
    if closing == Closing::Open && conn.eof && conn.deferred.is_empty() {
        closing = Closing::AfterFlush;
    }
    net.push(token, &out);
    if closing != Closing::Open {
        net.close(token, closing);
    }
}

/// `FUNCTION STATS`, which a busy node answers about the running script.
fn is_function_stats(args: &[Vec<u8>]) -> bool {
    args.len() == 2
        && args[0].eq_ignore_ascii_case(b"function")
        && args[1].eq_ignore_ascii_case(b"stats")
}
