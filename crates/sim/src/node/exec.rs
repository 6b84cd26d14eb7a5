//! Running one command on a node's engine: the connection a client's task
//! uses (opened as the node's role says), and the command's run with its
//! script watched — what a SCRIPT KILL would need if the command keeps the
//! node busy. When the reply leaves and who else hears of it is the
//! world's business (`crate::world::nodes`).

use std::cell::RefCell;
use std::rc::Rc;

use lockstep_engine::engine::Outcome;
use lockstep_engine::server::replication::Primary;
use lockstep_engine::ClientId;

use super::{script_mode, Node, Queued, RunningScript, SimWatcher};
use crate::actor::ActorId;
use crate::trace::Time;

impl Node {
    /// The engine connection for `from`'s task, opened on first use as
    /// `addr`. The engine answers as a replica (READONLY inside scripts
    /// too, ROLE, INFO replication) whenever the node follows a primary,
    /// named `primary`.
    pub fn connection_for(
        &mut self,
        from: ActorId,
        task: u32,
        addr: &str,
        primary: Option<&str>,
        now: Time,
    ) -> ClientId {
        self.engine.set_replica_of(primary.map(|host| Primary {
            host: host.to_string(),
            port: 6379,
            link_up: true,
        }));
        self.connection((from, task), addr, now)
    }

    /// A command for a connection the engine has blocked waits behind it;
    /// gives the command back if the connection is free.
    pub fn hold_if_blocked(&mut self, conn: ClientId, command: Queued) -> Option<Queued> {
        if !self.engine.is_blocked(conn) {
            return Some(command);
        }
        self.held_behind_block.push((conn, command));
        None
    }

    /// Runs `args` on connection `conn` at `now`. For a script, also what
    /// a kill needs: the data before it and when it first wrote.
    pub fn run_command(
        &mut self,
        conn: ClientId,
        args: &[Vec<u8>],
        now: Time,
    ) -> (Outcome, Option<RunningScript>) {
        let mode = script_mode(args);
        let before = mode.map(|_| Rc::new(self.engine.dataset()));
        let watcher = Rc::new(RefCell::new(SimWatcher::default()));
        if mode.is_some() {
            self.engine.set_script_watcher(Some(watcher.clone()));
        }
        let outcome = self.engine.execute(conn, args, self.now_ms(now));
        if mode.is_some() {
            self.engine.set_script_watcher(None);
        }
        let first_write_us = watcher.borrow().first_write_us;
        let script = mode.zip(before).map(|(mode, before)| RunningScript {
            mode,
            first_write_us,
            before,
        });
        (outcome, script)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockstep_engine::Reply;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    fn node() -> Node {
        let scenario = crate::Scenario::parse(
            "title = \"e\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n",
        )
        .expect("scenario");
        Node::new(scenario.nodes[0].clone(), None).expect("node")
    }

    #[test]
    fn a_script_run_keeps_the_data_as_it_was_before_the_script() {
        let mut n = node();
        let conn = n.connection_for(ActorId::client(0), 0, "c1", None, 0);
        let (outcome, script) = n.run_command(conn, &args("SET k 1"), 0);
        assert!(matches!(outcome.reply, Reply::Status(_)));
        assert!(script.is_none(), "not a script");
        let eval = vec![
            b"EVAL".to_vec(),
            b"redis.call('SET', 'k', '2') return 1".to_vec(),
            b"0".to_vec(),
        ];
        let (_, script) = n.run_command(conn, &eval, 0);
        let script = script.expect("a script");
        // Loading the data before it brings the value before it back.
        n.engine.load_dataset(&script.before);
        let (outcome, _) = n.run_command(conn, &args("GET k"), 0);
        assert!(matches!(&outcome.reply, Reply::Bulk(v) if v == b"1"));
    }

    #[test]
    fn a_replicas_connection_refuses_writes_and_a_blocked_one_holds_commands() {
        let mut n = node();
        let conn = n.connection_for(ActorId::client(0), 0, "c1", Some("r0"), 0);
        let (outcome, _) = n.run_command(conn, &args("SET k 1"), 0);
        assert!(
            matches!(&outcome.reply, Reply::Error(e) if e.starts_with("READONLY")),
            "{:?}",
            outcome.reply
        );

        let mut n = node();
        let conn = n.connection_for(ActorId::client(0), 0, "c1", None, 0);
        let (outcome, _) = n.run_command(conn, &args("BLPOP q 0"), 0);
        assert!(outcome.blocked);
        let next = Queued {
            msg: 2,
            from: ActorId::client(0),
            task: 0,
            args: args("PING"),
        };
        assert!(n.hold_if_blocked(conn, next).is_none());
        assert_eq!(n.held_behind_block.len(), 1);
    }
}
