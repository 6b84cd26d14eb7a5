//! SHUTDOWN: the redis-server process exits on purpose. Unlike a crash
//! (the machine stops, and callers wait until their timeout), the
//! process's sockets are closed by its OS, so every connected client hears
//! of it at once: a call in flight fails with "connection closed", a
//! subscriber's `next_message` returns the reason.

use lockstep_engine::Reply;

use super::{Body, World};
use crate::actor::ActorId;
use crate::scenario::Persistence;
use crate::trace::{command_text, What};

/// SHUTDOWN's options, as Redis 7.0 parses them.
#[derive(Debug, PartialEq)]
pub(super) enum Shutdown {
    /// Stop; `save` says whether an RDB save is made first.
    Stop { save: bool },
    /// The reply to give instead (a syntax error, ABORT with nothing to abort).
    Refuse(Reply),
}

impl Shutdown {
    /// `persistence` decides the default: Redis saves when save points are
    /// configured (our `rdb`), unless NOSAVE.
    pub(super) fn parse(args: &[Vec<u8>], persistence: Persistence) -> Shutdown {
        let (mut save, mut nosave, mut abort) = (false, false, false);
        for arg in &args[1..] {
            match String::from_utf8_lossy(arg).to_ascii_lowercase().as_str() {
                "save" => save = true,
                "nosave" => nosave = true,
                "abort" => abort = true,
                "now" | "force" => {}
                _ => return Shutdown::Refuse(Reply::error("ERR syntax error")),
            }
        }
        if (save && nosave) || (abort && args.len() > 2) {
            return Shutdown::Refuse(Reply::error("ERR syntax error"));
        }
        if abort {
            return Shutdown::Refuse(Reply::error("ERR No shutdown in progress."));
        }
        Shutdown::Stop {
            save: save || (!nosave && persistence == Persistence::Rdb),
        }
    }
}

impl World {
    /// SHUTDOWN from a client: the answer is the closed connection.
    pub(super) fn shutdown_command(
        &mut self,
        node: usize,
        from: ActorId,
        task: u32,
        msg: u64,
        args: &[Vec<u8>],
    ) {
        let snapshots = if self.nodes[node].settings.rdb_every.is_some() {
            Persistence::Rdb
        } else {
            Persistence::None
        };
        let how = Shutdown::parse(args, snapshots);
        let save = match how {
            Shutdown::Refuse(reply) => {
                self.emit(
                    ActorId::node(node),
                    What::Exec {
                        from: self.name(from).to_string(),
                        msg,
                        command: command_text(args),
                        reply: crate::trace::reply_text(&reply),
                        cost_us: 0,
                    },
                );
                self.reply_to(node, from, task, msg, reply);
                return;
            }
            Shutdown::Stop { save } => save,
        };
        self.emit(
            ActorId::node(node),
            What::Exec {
                from: self.name(from).to_string(),
                msg,
                command: command_text(args),
                reply: "(the node shuts down: connections closed)".into(),
                cost_us: 0,
            },
        );
        self.shut_down(node, save, (from, task));
    }

    /// The process exits: what it keeps on disk (an AOF is always flushed;
    /// an RDB save only if asked), then every connection is closed and the
    /// node is down until a restart.
    pub(super) fn shut_down(&mut self, node: usize, save: bool, caller: (ActorId, u32)) {
        let n = &mut self.nodes[node];
        if n.settings.aof || save {
            let data = std::rc::Rc::new(n.engine.dataset());
            if n.settings.aof {
                n.aof_file = std::rc::Rc::clone(&data);
                n.aof_dirty = false;
            }
            if save {
                n.rdb_file = Some(data);
                n.rdb_dirty = false;
            }
        }
        // Every client with a connection, a command waiting its turn, or a
        // WAIT: each hears the close.
        let mut connections: std::collections::BTreeSet<(ActorId, u32)> =
            n.connections.keys().copied().collect();
        connections.extend(n.queue.iter().map(|q| (q.from, q.task)));
        connections.extend(n.waiters.iter().map(|w| (w.from, w.task)));
        connections.insert(caller);
        let reason = format!("connection closed by {}: SHUTDOWN", self.node_name(node));
        self.crash_node(node);
        for (actor, task) in connections {
            let reason = reason.clone();
            self.send(ActorId::node(node), actor, Body::Closed { task, reason }, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Shutdown;
    use crate::scenario::Persistence;
    use lockstep_engine::Reply;

    fn parse(line: &str, persistence: Persistence) -> Shutdown {
        let args: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        Shutdown::parse(&args, persistence)
    }

    #[test]
    fn options_as_redis_parses_them() {
        assert_eq!(
            parse("SHUTDOWN", Persistence::Rdb),
            Shutdown::Stop { save: true }
        );
        assert_eq!(
            parse("SHUTDOWN", Persistence::None),
            Shutdown::Stop { save: false }
        );
        assert_eq!(
            parse("shutdown nosave now", Persistence::Rdb),
            Shutdown::Stop { save: false }
        );
        assert_eq!(
            parse("SHUTDOWN SAVE NOSAVE", Persistence::Rdb),
            Shutdown::Refuse(Reply::error("ERR syntax error"))
        );
        assert_eq!(
            parse("SHUTDOWN ABORT", Persistence::Rdb),
            Shutdown::Refuse(Reply::error("ERR No shutdown in progress."))
        );
        assert_eq!(
            parse("SHUTDOWN LATER", Persistence::Rdb),
            Shutdown::Refuse(Reply::error("ERR syntax error"))
        );
    }
}
