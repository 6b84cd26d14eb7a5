//! The one thread that owns the engine and serves every connection, as
//! Redis's `aeMain` does: wait for readiness, read each ready connection
//! once, run every complete command in what it sent (a pipeline runs
//! without other clients' commands in between), then deliver what the
//! commands produced for others (pub/sub messages, tracking pushes,
//! unblocked clients' replies) and write every connection's output before
//! waiting again. One wake-up serves every connection that was ready.
//!
//! Connections are handled in the order their events came, so a client
//! that closed before another's PUBLISH was sent is gone before the
//! PUBLISH counts its receivers.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use lockstep_engine::{encode, ClientId, Engine, Outcome};
use mio::Token;

use super::busy::{serve_while_busy, ScriptState};
use super::net::{Closing, Got, Net, LISTENER};
use super::request::QUERY_BUFFER_LIMIT;
use super::{now_ms, panic_probe, EXPIRE_PERIOD, PUSH_OUTPUT_LIMIT, REPLY_BACKPRESSURE};

pub struct EventLoop {
    pub engine: Engine,
    pub net: Rc<RefCell<Net>>,
    pub script: Rc<ScriptState>,
    next_expire: Instant,
}

impl EventLoop {
    pub fn new(engine: Engine, net: Rc<RefCell<Net>>, script: Rc<ScriptState>) -> EventLoop {
        EventLoop {
            engine,
            net,
            script,
            next_expire: Instant::now() + EXPIRE_PERIOD,
        }
    }

    /// Serves until the process ends.
    pub fn run(&mut self) {
        loop {
            self.turn();
        }
    }

    /// One wait for readiness and everything it made ready.
    fn turn(&mut self) {
        let timeout = self.timeout();
        let (events, mut again) = {
            let mut net = self.net.borrow_mut();
            let events = net.wait(timeout);
            let again = std::mem::take(&mut net.again);
            (events, again)
        };
        // Every event is noted before any command runs: a script that
        // turns busy serves the other connections from its hook, and must
        // know which have bytes waiting (edge-triggered readiness is
        // reported once).
        let mut ready = Vec::with_capacity(64);
        {
            let mut net = self.net.borrow_mut();
            for event in events.iter() {
                let token = event.token();
                if token != LISTENER {
                    net.note_event(
                        token,
                        event.is_readable(),
                        event.is_read_closed() || event.is_error(),
                        event.is_writable(),
                    );
                }
                ready.push(token);
            }
            net.put_events(events);
        }
        for token in ready {
            if token == LISTENER {
                self.accept();
            } else {
                self.serve(token);
            }
        }
        // Connections left with unread bytes or unrun commands last turn.
        again.sort_unstable();
        again.dedup();
        for token in again {
            self.serve(token);
        }
        self.timers();
        self.after_commands();
    }

    /// How long the next wait may be: nothing if some connection has work
    /// left, else until the next expiry cycle or blocked client's timeout.
    fn timeout(&self) -> Option<Duration> {
        if !self.net.borrow().again.is_empty() {
            return Some(Duration::ZERO);
        }
        let mut wake = self.next_expire.saturating_duration_since(Instant::now());
        if let Some(at) = self.engine.next_block_timeout_ms() {
            let wait = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
            wake = wake.min(Duration::from_millis(wait));
        }
        Some(wake)
    }

    fn accept(&mut self) {
        let accepted = self.net.borrow_mut().accept_all();
        for token in accepted {
            self.register(token);
            self.serve(token);
        }
    }

    /// Gives the connection its engine client; Redis numbers clients in the
    /// order it accepts them (CLIENT ID).
    fn register(&mut self, token: Token) {
        let mut net = self.net.borrow_mut();
        let Some(conn) = net.conn_mut(token) else {
            return;
        };
        if conn.id.is_some() {
            return;
        }
        let id = self.engine.connect(&conn.peer, now_ms());
        conn.id = Some(id);
        net.by_client.insert(id, token);
    }

    /// Reads the connection once (if an edge said there are bytes) and runs
    /// what it sent.
    fn serve(&mut self, token: Token) {
        let read = {
            let mut net = self.net.borrow_mut();
            let Some(conn) = net.conn(token) else {
                return;
            };
            if conn.closing != Closing::Open {
                return;
            }
            if conn.pending_out() > REPLY_BACKPRESSURE {
                // Not read until its replies drain ([`Net::flush_all`]
                // puts it back): a client that pipelines without reading
                // stops being read instead of growing our memory.
                return;
            }
            if conn.readable() {
                let read = net.read_once(token);
                if net.conn(token).is_some_and(|c| c.readable()) {
                    net.again.push(token);
                }
                read
            } else {
                Got::Nothing
            }
        };
        self.run_batch(token);
        let mut net = self.net.borrow_mut();
        let Some(conn) = net.conn(token) else {
            return;
        };
        if conn.closing != Closing::Open {
            return;
        }
        if conn.parser.pending_bytes() > QUERY_BUFFER_LIMIT {
            // Redis closes such a client without a reply.
            net.close(token, Closing::Now);
        } else if read == Got::Eof || conn.eof {
            // Gone from the engine at once: a PUBLISH sent after the close
            // no longer counts this subscriber.
            let id = net.drop_closed(token);
            drop(net);
            if let Some(id) = id {
                self.engine.disconnect(id);
            }
        }
    }

    /// Runs the deferred commands, then every complete command in the
    /// connection's query buffer, until one blocks or the connection is to
    /// close.
    pub(super) fn run_batch(&mut self, token: Token) {
        let Some(id) = self.net.borrow().conn(token).and_then(|c| c.id) else {
            return;
        };
        if self.engine.is_blocked(id) {
            // Its commands wait for whoever unblocks it.
            return;
        }
        loop {
            let args = {
                let mut net = self.net.borrow_mut();
                let Some(conn) = net.conn_mut(token) else {
                    return;
                };
                if conn.closing != Closing::Open {
                    break;
                }
                if conn.pending_out() > REPLY_BACKPRESSURE {
                    net.again.push(token);
                    break;
                }
                let next = match conn.deferred.pop_front() {
                    Some(args) => Ok(Some(args)),
                    None => conn.parser.next_command(),
                };
                match next {
                    Ok(Some(args)) => args,
                    Ok(None) => break,
                    Err(error) => {
                        net.push(token, &error.to_bytes());
                        net.close(token, Closing::AfterFlush);
                        break;
                    }
                }
            };
            if is_cross_protocol_attack(&args[0]) {
                // Redis drops the connection at once, unanswered, when it
                // sees what looks like HTTP sent to it ("POST", "Host:").
                self.net.borrow_mut().close(token, Closing::Now);
                break;
            }
            let outcome = self.execute(token, id, &args);
            if !self.reply(token, id, &args, outcome) {
                break;
            }
        }
        if let Some(conn) = self.net.borrow_mut().conn_mut(token) {
            conn.busy = lockstep_engine::scripting::BusyClient::new(self.engine.in_multi(id));
        }
    }

    /// Runs one command under `catch_unwind`, keeping the node busy for its
    /// simulated cost.
    fn execute(&mut self, token: Token, id: ClientId, args: &[Vec<u8>]) -> Option<Outcome> {
        let port_change = super::port::PortChange::before(&self.engine, args);
        self.script.running_conn.set(Some(token));
        let started = Instant::now();
        let now = now_ms();
        let engine = &mut self.engine;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            if panic_probe::is_probe(args) {
                panic!(
                    "{} was sent with {} set",
                    panic_probe::COMMAND,
                    panic_probe::ENV
                );
            }
            engine.execute(id, args, now)
        }))
        .ok();
        if let Some(outcome) = &outcome {
            self.stay_busy(outcome.cost_us, started);
        }
        self.script.command_finished();
        if self.script.served_others.take() {
            self.after_busy();
        }
        if self.engine.take_shutdown() {
            // SHUTDOWN accepted: the process ends and every client hears
            // it by its connection closing, as from redis-server. Nothing
            // is on disk to save.
            std::process::exit(0);
        }
        let mut outcome = outcome;
        if let (Some(change), Some(outcome)) = (port_change, outcome.as_mut()) {
            change.apply(&mut self.engine, &mut self.net.borrow_mut(), outcome);
        }
        outcome
    }

    /// Queues the command's reply (after any pushes it queued for its own
    /// connection); false when the batch stops here (blocked, closing).
    fn reply(
        &mut self,
        token: Token,
        id: ClientId,
        args: &[Vec<u8>],
        outcome: Option<Outcome>,
    ) -> bool {
        let protocol = self.engine.protocol(id);
        let mut out = Vec::new();
        // Pushes a command queued for its own connection go before its
        // reply, as Redis writes a PUBLISH's message to a RESP3 subscriber
        // on the same connection before the count.
        for push in self.engine.take_pushes(id) {
            encode::encode(&push, protocol, &mut out);
        }
        let killed_self = self.close_killed(id);
        let mut net = self.net.borrow_mut();
        if let Some(conn) = net.conn_mut(token) {
            conn.protocol = protocol;
        }
        match outcome {
            Some(outcome) if outcome.blocked => {
                net.push(token, &out);
                false
            }
            Some(outcome) => {
                encode::encode(&outcome.reply, protocol, &mut out);
                net.push(token, &out);
                if outcome.close || killed_self {
                    net.close(token, Closing::AfterFlush);
                    return false;
                }
                true
            }
            None => {
                let name = String::from_utf8_lossy(&args[0]).replace(['\r', '\n'], " ");
                out.extend_from_slice(
                    format!("-ERR internal error while running '{name}'\r\n").as_bytes(),
                );
                net.push(token, &out);
                true
            }
        }
    }

    /// Keeps the node busy for the simulated cost of a command that took
    /// longer in the model than in reality: a DEBUG SLEEP or a long script
    /// blocks every client, as in Redis — though a script past the busy
    /// threshold has the others answered BUSY meanwhile. Differences under
    /// a millisecond are not worth a wait.
    fn stay_busy(&mut self, cost_us: u64, started: Instant) {
        let until = started + Duration::from_micros(cost_us);
        let Some(left) = until.checked_duration_since(Instant::now()) else {
            return;
        };
        if left < Duration::from_millis(1) {
            return;
        }
        match self.script.busy() {
            Some(progress) => serve_while_busy(&self.net, &self.script, progress, until),
            None => std::thread::sleep(left),
        }
    }

    /// Once a busy script is over: what other connections changed of their
    /// own state meanwhile is applied, connections accepted meanwhile are
    /// registered, and the commands they held back are run on the next
    /// turn.
    fn after_busy(&mut self) {
        let unregistered = std::mem::take(&mut self.net.borrow_mut().unregistered);
        for token in unregistered {
            self.register(token);
        }
        let now = now_ms();
        let tokens = self.net.borrow().tokens();
        for token in tokens {
            let mut net = self.net.borrow_mut();
            let Some(conn) = net.conn_mut(token) else {
                continue;
            };
            let replay = std::mem::take(&mut conn.busy.replay);
            let id = conn.id;
            let has_input = conn.has_input() || conn.readable();
            if has_input {
                net.again.push(token);
            }
            drop(net);
            if let (Some(id), false) = (id, replay.is_empty()) {
                self.engine.replay(id, replay, now);
            }
        }
    }

    /// The active expiry cycle every [`EXPIRE_PERIOD`] (Redis's `hz 10`) and
    /// blocked clients' timeouts when they come.
    fn timers(&mut self) {
        let now = now_ms();
        if Instant::now() >= self.next_expire {
            let engine = &mut self.engine;
            let _ = catch_unwind(AssertUnwindSafe(|| engine.active_expire(now)));
            self.next_expire = Instant::now() + EXPIRE_PERIOD;
        }
        if self
            .engine
            .next_block_timeout_ms()
            .is_some_and(|at| at <= now)
        {
            let engine = &mut self.engine;
            if let Ok(timed_out) = catch_unwind(AssertUnwindSafe(|| engine.unblock_timed_out(now)))
            {
                self.deliver_unblocked(timed_out);
            }
        }
    }

    /// After a turn's commands: unblocked clients get their replies and run
    /// what they sent meanwhile, pushes go to their connections, output is
    /// written, and closed connections leave the engine.
    fn after_commands(&mut self) {
        self.route_unblocked();
        self.deliver_pushes();
        let gone = self.net.borrow_mut().flush_all(true);
        for id in gone {
            self.engine.disconnect(id);
        }
        // A disconnect can unblock nobody, but it can end a MONITOR or a
        // subscription: nothing more to deliver.
    }

    /// Moves every connection's queued pushes into its output. A
    /// connection whose unwritten output passes [`PUSH_OUTPUT_LIMIT`] is
    /// dropped (`client-output-buffer-limit pubsub`).
    pub(super) fn deliver_pushes(&mut self) {
        for id in self.engine.clients_with_pushes() {
            let pushes = self.engine.take_pushes(id);
            let mut net = self.net.borrow_mut();
            let Some(token) = net.token_of(id) else {
                continue;
            };
            let protocol = self.engine.protocol(id);
            let mut out = Vec::new();
            for push in &pushes {
                encode::encode(push, protocol, &mut out);
            }
            net.push(token, &out);
            if net
                .conn(token)
                .is_some_and(|c| c.pending_out() > PUSH_OUTPUT_LIMIT)
            {
                net.close(token, Closing::Now);
            }
        }
    }

    /// Closes the connections CLIENT KILL named, other than `own`; returns
    /// whether `own` was among them (it closes after its reply).
    fn close_killed(&mut self, own: ClientId) -> bool {
        let mut killed_self = false;
        for id in self.engine.take_killed() {
            if id == own {
                killed_self = true;
                continue;
            }
            let mut net = self.net.borrow_mut();
            if let Some(token) = net.token_of(id) {
                net.close(token, Closing::Now);
                net.remove(token);
            }
            drop(net);
            self.engine.disconnect(id);
        }
        killed_self
    }
}

fn is_cross_protocol_attack(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:")
}
