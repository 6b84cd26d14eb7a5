//! Blocked connections (BLPOP, XREAD BLOCK, ...) on the wall clock.
//!
//! The engine keeps who waits for what ([`lockstep_engine::blocking`]);
//! this module delivers what ends a wait. After each turn's commands, and
//! when the event loop's wait times out at a blocked client's deadline
//! ([`lockstep_engine::Engine::next_block_timeout_ms`] bounds every wait),
//! each unblocked connection gets its reply, then the commands it sent
//! meanwhile run, which may unblock others in turn.

use lockstep_engine::{encode, Unblocked};

use super::event_loop::EventLoop;

impl EventLoop {
    /// Delivers the replies of every connection the engine unblocked, and
    /// runs what each sent while it waited, until nobody else is unblocked.
    pub(super) fn route_unblocked(&mut self) {
        loop {
            let unblocked = self.engine.take_unblocked();
            if unblocked.is_empty() {
                return;
            }
            self.deliver_unblocked(unblocked);
        }
    }

    pub(super) fn deliver_unblocked(&mut self, unblocked: Vec<Unblocked>) {
        for Unblocked { client, reply } in unblocked {
            let Some(token) = self.net.borrow().token_of(client) else {
                continue;
            };
            let mut out = Vec::new();
            let protocol = self.engine.protocol(client);
            for push in self.engine.take_pushes(client) {
                encode::encode(&push, protocol, &mut out);
            }
            encode::encode(&reply, protocol, &mut out);
            self.net.borrow_mut().push(token, &out);
            self.run_batch(token);
        }
    }
}
