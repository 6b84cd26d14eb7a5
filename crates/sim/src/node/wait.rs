//! WAIT on a primary: whether the command is valid here, which write a
//! connection's WAIT waits for, and when and what it answers (now, at an
//! acknowledgement that completes it, or at its timeout). The node decides
//! and asks, through its [`NodeContext`], for the reply and the timeout's
//! timer; the world only routes the reply message and wakes the node.

use lockstep_engine::Reply;

use super::{Node, NodeContext, Timer, Waiter};
use crate::actor::ActorId;
use crate::trace::{command_text, reply_text, What};

const WAIT_ON_REPLICA: &str = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.";

/// Who sent a WAIT: the message to answer and the connection it came on.
#[derive(Clone, Debug)]
pub struct WaitCall {
    /// The waiter's id, unique in the run (the world hands them out).
    pub id: u64,
    pub msg: u64,
    pub from: ActorId,
    /// The sender's name, for the node's events.
    pub caller: String,
    pub task: u32,
}

/// An integer argument of WAIT, as Redis parses it.
fn integer(args: &[Vec<u8>], i: usize) -> Option<i64> {
    std::str::from_utf8(args.get(i)?)
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
}

impl Node {
    /// The error WAIT `args` gets at once on this node, if any (Redis's
    /// checks, in Redis's order); `None` when the WAIT is valid.
    pub fn wait_error(&self, args: &[Vec<u8>]) -> Option<Reply> {
        if args.len() != 3 {
            return Some(Reply::wrong_arity("wait"));
        }
        if self.replica_of.is_some() {
            return Some(Reply::error(WAIT_ON_REPLICA));
        }
        match (integer(args, 1), integer(args, 2)) {
            (Some(_), Some(timeout)) if timeout >= 0 => None,
            (Some(_), Some(_)) => Some(Reply::error("ERR timeout is negative")),
            _ => Some(Reply::error("ERR value is not an integer or out of range")),
        }
    }

    /// A valid WAIT starts: it is answered now if enough replicas already
    /// have the connection's last write, else it waits (with a timer, if
    /// its timeout is not 0).
    pub fn start_wait(&mut self, call: WaitCall, args: &[Vec<u8>], cx: &mut NodeContext) {
        let wanted = integer(args, 1).unwrap_or(0).max(0) as usize;
        let timeout_ms = integer(args, 2).unwrap_or(0);
        // As Redis's `c->woff`: the offset of this connection's own last
        // write on this node; a connection that wrote nothing here (a new
        // one after a failover) waits for nothing.
        let offset = self
            .write_offsets
            .get(&(call.from, call.task))
            .copied()
            .unwrap_or(0);
        let waiter = Waiter {
            id: call.id,
            msg: call.msg,
            from: call.from,
            caller: call.caller,
            task: call.task,
            offset,
            replicas: wanted,
        };
        cx.emit(What::Exec {
            from: waiter.caller.clone(),
            msg: waiter.msg,
            command: command_text(args),
            reply: "(waiting for replicas)".into(),
            cost_us: 0,
        });
        if self.replicas_at(offset) >= wanted {
            self.answer_wait(waiter, cx);
            return;
        }
        if timeout_ms > 0 {
            cx.set_timer(
                cx.now() + timeout_ms as u64 * 1000,
                Timer::Wait {
                    epoch: self.epoch,
                    waiter: waiter.id,
                },
            );
        }
        self.waiters.push(waiter);
    }

    /// A WAIT's timeout: it is answered with the replicas it has, unless
    /// it was answered already or the node has restarted since.
    pub fn wait_timeout(&mut self, epoch: u64, waiter: u64, cx: &mut NodeContext) {
        if self.epoch != epoch {
            return;
        }
        let Some(i) = self.waiters.iter().position(|w| w.id == waiter) else {
            return;
        };
        let waiter = self.waiters.remove(i);
        self.answer_wait(waiter, cx);
    }

    /// A replica's acknowledgement arrives: the WAITs it completes answer.
    pub fn receive_ack(&mut self, replica: usize, offset: u64, cx: &mut NodeContext) {
        for waiter in self.record_ack(replica, offset) {
            self.answer_wait(waiter, cx);
        }
    }

    /// WAIT's answer: how many replicas have the write it waited for.
    fn answer_wait(&self, waiter: Waiter, cx: &mut NodeContext) {
        let reply = Reply::Integer(self.replicas_at(waiter.offset) as i64);
        cx.emit(What::Exec {
            from: waiter.caller,
            msg: waiter.msg,
            command: "WAIT (answered)".into(),
            reply: reply_text(&reply),
            cost_us: 0,
        });
        cx.reply(waiter.from, waiter.task, waiter.msg, reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Effect;

    fn node(replica_of: Option<usize>) -> Node {
        let scenario = crate::Scenario::parse(
            "title = \"w\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n",
        )
        .expect("scenario");
        Node::new(scenario.nodes[0].clone(), replica_of).expect("node")
    }

    fn wait(replicas: &str, timeout: &str) -> Vec<Vec<u8>> {
        vec![
            b"WAIT".to_vec(),
            replicas.as_bytes().to_vec(),
            timeout.as_bytes().to_vec(),
        ]
    }

    fn call(id: u64, task: u32) -> WaitCall {
        WaitCall {
            id,
            msg: 10 + id,
            from: ActorId::client(0),
            caller: "c1".into(),
            task,
        }
    }

    /// The replies the node asked for, as (message, reply).
    fn replies(cx: NodeContext) -> Vec<(u64, Reply)> {
        cx.into_effects()
            .into_iter()
            .filter_map(|e| match e {
                Effect::Reply { call, reply, .. } => Some((call, reply)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn wait_is_refused_on_a_replica_and_with_bad_arguments() {
        let primary = node(None);
        assert_eq!(primary.wait_error(&wait("1", "0")), None);
        assert_eq!(
            primary.wait_error(&wait("1", "-1")),
            Some(Reply::error("ERR timeout is negative"))
        );
        assert_eq!(
            primary.wait_error(&wait("x", "0")),
            Some(Reply::error("ERR value is not an integer or out of range"))
        );
        assert_eq!(
            primary.wait_error(&wait("1", "0")[..2]),
            Some(Reply::wrong_arity("wait"))
        );
        assert_eq!(
            node(Some(0)).wait_error(&wait("1", "0")),
            Some(Reply::error(WAIT_ON_REPLICA))
        );
    }

    #[test]
    fn a_wait_answers_now_at_an_ack_or_at_its_timeout() {
        let mut n = node(None);
        n.write_offsets.insert((ActorId::client(0), 0), 2);
        // Asking for no replica: answered at once.
        let mut cx = NodeContext::new(0);
        n.start_wait(call(1, 1), &wait("0", "0"), &mut cx);
        assert_eq!(replies(cx), [(11, Reply::Integer(0))]);

        // Waits for its write at offset 2, with a timer for its timeout.
        let mut cx = NodeContext::new(1_000);
        n.start_wait(call(2, 0), &wait("1", "50"), &mut cx);
        let timers: Vec<_> = cx
            .into_effects()
            .into_iter()
            .filter_map(|e| match e {
                Effect::Timer(at, timer) => Some((at, timer)),
                _ => None,
            })
            .collect();
        assert_eq!(
            timers,
            [(
                51_000,
                Timer::Wait {
                    epoch: 0,
                    waiter: 2
                }
            )],
            "the timeout is in ms after now"
        );
        // An ack short of the write answers nothing; one at it answers 1.
        let mut cx = NodeContext::new(2_000);
        n.receive_ack(5, 1, &mut cx);
        assert!(replies(cx).is_empty());
        let mut cx = NodeContext::new(3_000);
        n.receive_ack(5, 2, &mut cx);
        assert_eq!(replies(cx), [(12, Reply::Integer(1))]);
        // Its timer then finds nothing to answer.
        let mut cx = NodeContext::new(51_000);
        n.wait_timeout(0, 2, &mut cx);
        assert!(replies(cx).is_empty(), "answered once");

        // Wanting two replicas, it times out with the one it has.
        n.write_offsets.insert((ActorId::client(0), 0), 3);
        n.start_wait(call(3, 0), &wait("2", "10"), &mut NodeContext::new(0));
        let mut cx = NodeContext::new(4_000);
        n.receive_ack(5, 3, &mut cx);
        assert!(replies(cx).is_empty(), "one of two replicas");
        let mut stale = NodeContext::new(10_000);
        n.wait_timeout(1, 3, &mut stale);
        assert!(replies(stale).is_empty(), "a timer from another life");
        let mut cx = NodeContext::new(10_000);
        n.wait_timeout(0, 3, &mut cx);
        assert_eq!(replies(cx), [(13, Reply::Integer(1))]);
    }
}
