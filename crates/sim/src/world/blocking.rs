//! Blocking commands in simulated time: BLPOP, BRPOP, BLMOVE, BLMPOP,
//! BZPOPMIN/BZPOPMAX, BZMPOP, XREAD and XREADGROUP with BLOCK.
//!
//! The engine decides who blocks, who a write serves and in which order
//! (`lockstep_engine::blocking`); the node here only carries the answers:
//! after every command it sends the replies of the clients that command
//! served, and it keeps one timer for the earliest blocked client's
//! deadline on the node's own clock. A command that arrives on a blocked
//! connection (its caller gave up and called again) waits until the
//! connection is unblocked, as Redis does not read a blocked client.

use lockstep_engine::{ClientId, Unblocked};

use super::{Pending, World};
use crate::actor::ActorId;
use crate::node::Queued;
use crate::trace::{command_text, reply_text, What};

/// The command names that may block, with where their timeout is: for the
/// client's own patience, which must outlast the server's wait.
fn block_timeout_ms(args: &[Vec<u8>]) -> Option<Option<f64>> {
    let word = |i: usize| {
        args.get(i)
            .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
    };
    let number = |i: usize| -> Option<f64> {
        let text = word(i)?;
        text.parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
    };
    let ms = match word(0)?.as_str() {
        "blpop" | "brpop" | "bzpopmin" | "bzpopmax" | "blmove" | "brpoplpush" => {
            number(args.len().checked_sub(1)?)? * 1000.0
        }
        "blmpop" | "bzmpop" => number(1)? * 1000.0,
        "xread" | "xreadgroup" => {
            let at = (1..args.len()).find(|&i| word(i).as_deref() == Some("block"))?;
            number(at + 1)?
        }
        _ => return None,
    };
    Some((ms > 0.0).then_some(ms))
}

/// How long a client waits for the reply to `args` beyond its
/// `timeout_ms`: `None` for a command that does not block, `Some(None)`
/// for a wait with no end (timeout 0), `Some(Some(ms))` for the server's
/// own timeout (client libraries add it to their socket timeout).
pub(super) fn client_patience(args: &[Vec<u8>]) -> Option<Option<f64>> {
    block_timeout_ms(args)
}

impl World {
    /// The command that just ran on `node` blocked its caller: note whom
    /// to answer when the engine serves or times it out.
    pub(super) fn blocked(&mut self, node: usize, conn: ClientId, command: Queued) {
        self.emit(
            ActorId::node(node),
            What::Exec {
                from: self.name(command.from).to_string(),
                msg: command.msg,
                command: command_text(&command.args),
                reply: "(blocked)".into(),
                cost_us: 0,
            },
        );
        self.nodes[node].blocked.insert(conn, command);
    }

    /// After a command: answers the clients it served (which may be the
    /// writes of an unblocked BLMOVE serving others in turn: the engine
    /// has already done that), runs what waited behind them, and sets the
    /// timer for the next deadline.
    pub(super) fn after_blocking(&mut self, node: usize) {
        if !self.nodes[node].up {
            return;
        }
        let served = self.nodes[node].engine.take_unblocked();
        self.answer_unblocked(node, served, "served");
        self.schedule_block_timeout(node);
    }

    fn answer_unblocked(&mut self, node: usize, unblocked: Vec<Unblocked>, how: &str) {
        for Unblocked { client, reply } in unblocked {
            let Some(command) = self.nodes[node].blocked.remove(&client) else {
                continue;
            };
            self.emit(
                ActorId::node(node),
                What::Exec {
                    from: self.name(command.from).to_string(),
                    msg: command.msg,
                    command: format!("{} ({how})", command_text(&command.args)),
                    reply: reply_text(&reply),
                    cost_us: 0,
                },
            );
            self.reply_to(node, command.from, command.task, command.msg, reply);
            self.run_held(node, client);
        }
    }

    /// Commands that arrived on `conn` while it was blocked run now, in
    /// order, until one blocks it again.
    fn run_held(&mut self, node: usize, conn: ClientId) {
        let held = std::mem::take(&mut self.nodes[node].held_behind_block);
        let (mine, others): (Vec<_>, Vec<_>) = held.into_iter().partition(|(c, _)| *c == conn);
        self.nodes[node].held_behind_block = others;
        for (_, command) in mine {
            self.node_receive(node, command.from, command.task, command.msg, command.args);
        }
    }

    /// One timer per node, for the earliest blocked client's deadline on
    /// the node's clock (a generation number voids earlier timers).
    pub(super) fn schedule_block_timeout(&mut self, node: usize) {
        let n = &mut self.nodes[node];
        let Some(at_ms) = n.engine.next_block_timeout_ms() else {
            return;
        };
        if n.block_timer_at == Some(at_ms) {
            return;
        }
        n.block_timer_at = Some(at_ms);
        n.block_timer_gen += 1;
        let generation = n.block_timer_gen;
        let at = n.clock.global_at(at_ms as f64, self.now);
        self.schedule(at, Pending::BlockTimeout { node, generation });
    }

    pub(super) fn block_timeout(&mut self, node: usize, generation: u64) {
        let n = &mut self.nodes[node];
        if n.block_timer_gen != generation || !n.up {
            return;
        }
        n.block_timer_at = None;
        let now_ms = n.now_ms(self.now);
        let timed_out = n.engine.unblock_timed_out(now_ms);
        self.answer_unblocked(node, timed_out, "timed out");
        self.schedule_block_timeout(node);
    }
}

#[cfg(test)]
mod tests {
    use super::client_patience;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn finds_each_blocking_command_s_timeout() {
        assert_eq!(client_patience(&args("BLPOP a b 1.5")), Some(Some(1500.0)));
        assert_eq!(client_patience(&args("BLPOP a 0")), Some(None));
        assert_eq!(
            client_patience(&args("BLMPOP 2 1 a LEFT")),
            Some(Some(2000.0))
        );
        assert_eq!(
            client_patience(&args("XREAD COUNT 1 BLOCK 250 STREAMS s $")),
            Some(Some(250.0))
        );
        assert_eq!(client_patience(&args("XREAD STREAMS s 0")), None);
        assert_eq!(client_patience(&args("GET a")), None);
        assert_eq!(client_patience(&args("BLPOP a nope")), None);
    }
}
