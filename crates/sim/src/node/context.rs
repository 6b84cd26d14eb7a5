//! What node-side code may do beyond changing its own node.
//!
//! A node's behaviour (its disk, its life cycle) is written as methods on
//! [`Node`](super::Node) that take a [`NodeContext`]: the time now, and a
//! list where they write the events the node records and the timers it
//! sets. The world runs the method, then applies the list in order — as
//! if each event had been written where the method wrote it, because the
//! node code does nothing else to the world in between. So node code
//! cannot reach other actors, the network or the trace's snapshots, and
//! can be read (and tested) with a node and a context alone.

use lockstep_engine::Reply;

use crate::actor::ActorId;
use crate::trace::{Time, What};

use super::DiskJob;

/// The node's timers: work it asks the world to wake it for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// Periodic disk work, void once the node's `disk_gen` moves on.
    Disk { generation: u64, job: DiskJob },
    /// The next key's death, void once the node's `expiry_gen` moves on.
    Expiry { generation: u64 },
    /// A WAIT's timeout, void if the node has restarted (`epoch`) or the
    /// WAIT was answered.
    Wait { epoch: u64, waiter: u64 },
}

/// One thing node code asked of the world, in the order it asked.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Effect {
    /// Record an event as the node.
    Event(What),
    /// Wake the node at a time (simulated µs).
    Timer(Time, Timer),
    /// Send `reply` to the task that sent message `call`.
    Reply {
        to: ActorId,
        task: u32,
        call: u64,
        reply: Reply,
    },
}

/// The narrow view of the world a node's behaviour gets.
#[derive(Debug)]
pub(crate) struct NodeContext {
    now: Time,
    effects: Vec<Effect>,
}

impl NodeContext {
    pub fn new(now: Time) -> NodeContext {
        NodeContext {
            now,
            effects: Vec::new(),
        }
    }

    /// The simulated time now (µs).
    pub fn now(&self) -> Time {
        self.now
    }

    /// Records `what` as the node's event.
    pub fn emit(&mut self, what: What) {
        self.effects.push(Effect::Event(what));
    }

    /// Asks to be woken at `at`.
    pub fn set_timer(&mut self, at: Time, timer: Timer) {
        self.effects.push(Effect::Timer(at, timer));
    }

    /// Answers message `call` from `to`'s task `task` with `reply`.
    pub fn reply(&mut self, to: ActorId, task: u32, call: u64, reply: Reply) {
        self.effects.push(Effect::Reply {
            to,
            task,
            call,
            reply,
        });
    }

    /// What was asked, in order, for the world to apply.
    pub fn into_effects(self) -> Vec<Effect> {
        self.effects
    }
}
