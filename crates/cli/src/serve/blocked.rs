//! Blocked connections (BLPOP, XREAD BLOCK, ...) on the wall clock.
//!
//! The engine keeps who waits for what ([`lockstep_engine::blocking`]);
//! this module delivers what ends a wait. After any thread ran commands
//! under the engine's lock it calls [`State::route_unblocked`]: each
//! unblocked connection gets its reply in its outbox, then the commands it
//! sent meanwhile run, which may unblock others in turn. The timer thread
//! sleeps until the next blocked client's timeout or the next expiry cycle,
//! whichever comes first, and is rung when a command blocks so that it can
//! sleep less; no thread polls.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use lockstep_engine::{encode, Unblocked};
use parking_lot::{Condvar, Mutex};

use super::outbox::Closing;
use super::{now_ms, Shared, State, EXPIRE_PERIOD};

/// Wakes the timer thread early: a client blocked, and its timeout may come
/// before the timer's next planned wake-up.
#[derive(Default)]
pub struct TimerBell {
    rung: Mutex<bool>,
    bell: Condvar,
}

impl TimerBell {
    pub fn ring(&self) {
        *self.rung.lock() = true;
        self.bell.notify_one();
    }

    /// Sleeps until `until` or a ring, whichever comes first.
    fn sleep_until(&self, until: Instant) {
        let mut rung = self.rung.lock();
        if !*rung {
            self.bell.wait_until(&mut rung, until);
        }
        *rung = false;
    }
}

/// The timer thread: the active expiry cycle every [`EXPIRE_PERIOD`]
/// (Redis's `hz 10`) and blocked clients' timeouts when they come.
pub(super) fn run_timer(shared: &Shared) {
    let mut next_expire = Instant::now() + EXPIRE_PERIOD;
    loop {
        let next_timeout = shared.lock().engine.next_block_timeout_ms();
        let mut wake = next_expire;
        if let Some(at) = next_timeout {
            let wait = u64::try_from(at.saturating_sub(now_ms())).unwrap_or(0);
            wake = wake.min(Instant::now() + Duration::from_millis(wait));
        }
        shared.timer.sleep_until(wake);
        let mut state = shared.lock();
        let now = now_ms();
        if Instant::now() >= next_expire {
            let _ = catch_unwind(AssertUnwindSafe(|| state.engine.active_expire(now)));
            next_expire = Instant::now() + EXPIRE_PERIOD;
        }
        let engine = &mut state.engine;
        if let Ok(timed_out) = catch_unwind(AssertUnwindSafe(|| engine.unblock_timed_out(now))) {
            state.deliver_unblocked(timed_out, shared);
        }
        state.route_unblocked(shared);
        state.deliver_pushes();
    }
}

impl State {
    /// Delivers the replies of every connection the engine unblocked, and
    /// runs what each sent while it waited, until nobody else is unblocked.
    pub(super) fn route_unblocked(&mut self, shared: &Shared) {
        loop {
            let unblocked = self.engine.take_unblocked();
            if unblocked.is_empty() {
                return;
            }
            self.deliver_unblocked(unblocked, shared);
        }
    }

    fn deliver_unblocked(&mut self, unblocked: Vec<Unblocked>, shared: &Shared) {
        for Unblocked { client, reply } in unblocked {
            let (Some(outbox), Some(input)) = (
                self.outboxes.get(&client).cloned(),
                self.inputs.get(&client).cloned(),
            ) else {
                continue;
            };
            let mut out = Vec::new();
            let protocol = self.engine.protocol(client);
            for push in self.engine.take_pushes(client) {
                encode::encode(&push, protocol, &mut out);
            }
            encode::encode(&reply, protocol, &mut out);
            outbox.push(&out);
            let mut input = input.lock();
            let closing = self.run_batch(client, &mut input, &outbox, shared);
            if closing != Closing::Open {
                outbox.close(closing);
            }
        }
    }
}
