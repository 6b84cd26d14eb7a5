//! `[[operator]]` commands: an administrator's redis-cli on the node's
//! own host. The command reaches the node at once (no latency, loss or
//! partition between them) and waits its turn there like any other —
//! behind a busy script, refused by a crashed node. Its reply is the
//! operator's own `operator` event, so the timeline shows what was asked
//! and what the node said; the node's `exec` shows it from `operator`.

use lockstep_engine::Reply;

use super::{Body, World};
use crate::actor::ActorId;
use crate::trace::{reply_text, What};

/// Every operator command uses one connection per node (task 0).
const OPERATOR_TASK: u32 = 0;

impl World {
    pub(super) fn is_operator(&self, actor: ActorId) -> bool {
        actor == ActorId::Operator
    }

    /// Operator command `index` is due: it leaves for its node.
    pub(super) fn operator_command(&mut self, index: usize) {
        let operator = ActorId::Operator;
        let spec = &self.scenario.operators[index];
        let Some(node) = self.nodes.iter().position(|n| n.spec.name == spec.node) else {
            return;
        };
        // Validated when the scenario was read.
        let args = lockstep_engine::inline::split_args(spec.command.as_bytes()).unwrap_or_default();
        let msg = self.send(
            operator,
            ActorId::node(node),
            Body::Command {
                task: OPERATOR_TASK,
                args,
            },
            0,
        );
        self.operator_asks.insert(msg, (index, self.now));
    }

    /// The node closed the operator's connection (SHUTDOWN): every
    /// command still waiting there gets that as its answer.
    pub(super) fn operator_closed(&mut self, node: ActorId, reason: &str) {
        let waiting: Vec<u64> = self
            .operator_asks
            .iter()
            .filter(|(_, (index, _))| self.scenario.operators[*index].node == self.name(node))
            .map(|(msg, _)| *msg)
            .collect();
        for msg in waiting {
            self.operator_reply(node, msg, Reply::error(reason));
        }
    }

    /// The node answered an operator command.
    pub(super) fn operator_reply(&mut self, node: ActorId, call: u64, reply: Reply) {
        let Some((index, asked_us)) = self.operator_asks.remove(&call) else {
            return;
        };
        let operator = ActorId::Operator;
        let command = crate::trace::command_text(
            &lockstep_engine::inline::split_args(self.scenario.operators[index].command.as_bytes())
                .unwrap_or_default(),
        );
        self.emit(
            operator,
            What::Operator {
                node: self.name(node).to_string(),
                msg: call,
                command,
                reply: reply_text(&reply),
                asked_us,
            },
        );
    }
}
