//! Running a node's own behaviour: the world hands a node a
//! [`NodeContext`] (the time now and a list to write into), lets the
//! node-side code (`crate::node`: its disk, its life cycle) act on the node
//! alone, then applies what it asked for — its events and its timers — in
//! the order it asked.

use lockstep_engine::Reply;

use super::{Pending, World};
use crate::actor::ActorId;
use crate::node::{DiskJob, Effect, Node, NodeContext, Timer};

impl World {
    /// Runs `act` on node `node` with a context, then applies the events
    /// and timers it asked for.
    pub(super) fn with_node<R>(
        &mut self,
        node: usize,
        act: impl FnOnce(&mut Node, &mut NodeContext) -> R,
    ) -> R {
        let mut context = NodeContext::new(self.now);
        let result = act(&mut self.nodes[node], &mut context);
        for effect in context.into_effects() {
            match effect {
                Effect::Event(what) => {
                    self.emit(ActorId::node(node), what);
                }
                Effect::Timer(at, Timer::Disk { generation, job }) => self.schedule(
                    at,
                    Pending::Persist {
                        node,
                        generation,
                        job,
                    },
                ),
                Effect::Timer(at, Timer::Expiry { generation }) => {
                    self.schedule(at, Pending::Expiry { node, generation })
                }
                Effect::Timer(at, Timer::Wait { epoch, waiter }) => self.schedule(
                    at,
                    Pending::WaitTimeout {
                        node,
                        epoch,
                        waiter,
                    },
                ),
                Effect::Reply {
                    to,
                    task,
                    call,
                    reply,
                } => self.reply_to(node, to, task, call, reply),
            }
        }
        result
    }

    /// Schedules the node's periodic disk work as its settings are now.
    pub(super) fn schedule_persist(&mut self, node: usize) {
        self.with_node(node, |n, cx| n.schedule_disk_work(cx));
    }

    /// The background save (RDB) or fsync (AOF everysec/no) is due.
    pub(super) fn persist(&mut self, node: usize, generation: u64, job: DiskJob) {
        self.with_node(node, |n, cx| n.persist(generation, job, cx));
    }

    /// After a command ran on a node: the disk work it asked for, or the
    /// persistence it changed.
    pub(super) fn after_admin(&mut self, node: usize, args: &[Vec<u8>], reply: &Reply) {
        self.with_node(node, |n, cx| n.after_admin(args, reply, cx));
    }
}
