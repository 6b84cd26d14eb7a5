//! Clients held back by CLIENT PAUSE (Redis's `BLOCKED_POSTPONE`).
//!
//! A command the pause covers does not run: its client is blocked with the
//! command kept, exactly like a BLPOP waiting for data — [`Engine::execute`]
//! returns `blocked: true` and no reply, INFO counts it in
//! `blocked_clients`, and the host holds the client's next commands. When
//! the pause ends or gets less strict (CLIENT UNPAUSE, its timeout), every
//! postponed command starts again from scratch, first postponed first: it
//! may run (its reply comes out of [`Engine::take_unblocked`]), block on
//! keys, or be postponed again. A host therefore needs nothing beyond what
//! it does for blocking commands; [`Engine::next_block_timeout_ms`] includes
//! the pause's end.
//!
//! Redis 7.0 crashes on `CLIENT UNBLOCK` of a postponed client; here that
//! answers 0 (not a client CLIENT UNBLOCK can end).

use crate::client::ClientId;
use crate::command::CommandSpec;
use crate::engine::{resolve, Engine};
use crate::server::pause::may_replicate;

use super::Unblocked;

impl Engine {
    /// Whether `client` waits for the pause to end.
    pub(crate) fn is_postponed(&self, client: ClientId) -> bool {
        self.server
            .blocking
            .postponed
            .iter()
            .any(|(c, _)| *c == client)
    }

    /// `processCommand`'s pause check, made after every refusal: postpones
    /// `args` if the pause in force covers it. An EXEC is covered when any
    /// queued command is; inside MULTI a covered command is postponed
    /// rather than queued, as in Redis.
    pub(crate) fn postpone_if_paused(
        &mut self,
        id: ClientId,
        spec: &CommandSpec,
        args: &[Vec<u8>],
    ) -> bool {
        let pause = self.server.pause;
        if !pause.active() {
            return false;
        }
        let mut replicates = may_replicate(&self.server, spec, args);
        if spec.name == "exec" && !replicates {
            let queued = self.clients.get(&id).and_then(|c| c.multi.as_ref());
            replicates = queued.is_some_and(|multi| {
                multi
                    .queued
                    .iter()
                    .any(|q| resolve(q).is_ok_and(|queued| may_replicate(&self.server, queued, q)))
            });
        }
        if !pause.holds(replicates) {
            return false;
        }
        self.server.blocking.postponed.push((id, args.to_vec()));
        true
    }

    /// Ends the pause if its time has come, then runs what it held back.
    pub(crate) fn end_pause_if_due(&mut self, now_ms: i64) {
        self.server.pause.refresh(now_ms);
        self.run_postponed(now_ms);
    }

    /// After a pause got less strict: runs every postponed command again,
    /// first postponed first, and keeps keys' expiry paused exactly while
    /// clients are. Commands run again here do not recurse into this.
    pub(crate) fn run_postponed(&mut self, now_ms: i64) {
        self.sync_expiry_pause();
        if self.server.blocking.resuming {
            return;
        }
        self.server.blocking.resuming = true;
        while self.server.pause.take_relaxed() {
            let postponed = std::mem::take(&mut self.server.blocking.postponed);
            for (client, args) in postponed {
                if !self.clients.contains_key(&client) {
                    continue;
                }
                let outcome = self.execute(client, &args, now_ms);
                if !outcome.blocked {
                    self.server.blocking.unblocked.push(Unblocked {
                        client,
                        reply: outcome.reply,
                    });
                }
            }
        }
        self.server.blocking.resuming = false;
        self.sync_expiry_pause();
    }

    /// Tells every database whether clients are paused (expired keys kept).
    fn sync_expiry_pause(&mut self) {
        let paused = self.server.pause.active();
        if self.db.expiry_is_paused() == paused {
            return;
        }
        self.db.pause_expiry(paused);
        for db in &mut self.server.parked_dbs {
            db.pause_expiry(paused);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, Reply};

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn pause_all_holds_reads_and_unpause_until_its_timeout() {
        let mut engine = Engine::new(0);
        let admin = engine.connect("127.0.0.1:1", 0);
        let reader = engine.connect("127.0.0.1:2", 0);
        engine.execute(admin, &args("SET k v"), 0);
        let paused = engine.execute(admin, &args("CLIENT PAUSE 500 ALL"), 10);
        assert_eq!(paused.reply, Reply::ok());
        assert!(engine.execute(reader, &args("GET k"), 20).blocked);
        // Under ALL even another client's CLIENT UNPAUSE waits.
        assert!(engine.execute(admin, &args("CLIENT UNPAUSE"), 30).blocked);
        assert_eq!(engine.next_block_timeout_ms(), Some(511));
        assert!(engine.unblock_timed_out(510).is_empty());
        let resumed = engine.unblock_timed_out(511);
        let replies: Vec<_> = resumed
            .iter()
            .map(|u| (u.client, u.reply.clone()))
            .collect();
        assert_eq!(
            replies,
            vec![(reader, Reply::bulk("v")), (admin, Reply::ok())]
        );
        assert!(!engine.is_blocked(reader));
    }

    #[test]
    fn a_postponed_command_runs_again_from_scratch() {
        let mut engine = Engine::new(0);
        let admin = engine.connect("127.0.0.1:1", 0);
        let waiter = engine.connect("127.0.0.1:2", 0);
        engine.execute(admin, &args("CLIENT PAUSE 60000 WRITE"), 0);
        // BLPOP is a write: postponed, then once unpaused it blocks on its key.
        assert!(engine.execute(waiter, &args("BLPOP q 0"), 1).blocked);
        engine.execute(admin, &args("CLIENT UNPAUSE"), 2);
        assert!(engine.take_unblocked().is_empty());
        assert!(engine.is_blocked(waiter));
        engine.execute(admin, &args("RPUSH q x"), 3);
        let served = engine.take_unblocked();
        assert_eq!(served[0].client, waiter);
        assert_eq!(
            served[0].reply,
            Reply::Array(vec![Reply::bulk("q"), Reply::bulk("x")])
        );
    }

    #[test]
    fn a_disconnected_postponed_client_is_forgotten() {
        let mut engine = Engine::new(0);
        let admin = engine.connect("127.0.0.1:1", 0);
        let writer = engine.connect("127.0.0.1:2", 0);
        engine.execute(admin, &args("CLIENT PAUSE 60000 WRITE"), 0);
        assert!(engine.execute(writer, &args("SET k v"), 1).blocked);
        assert_eq!(engine.server.blocking.blocked_count(), 1);
        engine.disconnect(writer);
        assert_eq!(engine.server.blocking.blocked_count(), 0);
        engine.execute(admin, &args("CLIENT UNPAUSE"), 2);
        assert!(engine.take_unblocked().is_empty());
        assert_eq!(
            engine.execute(admin, &args("EXISTS k"), 3).reply,
            Reply::Integer(0)
        );
    }
}
