//! The network between actors: per-link latency and loss, and partitions.
//!
//! Links are kept by typed actor id ([`ActorId`]). A partition is a group
//! number per actor; two actors can talk when their groups match.
//!
//! The network also owns the messages in flight: a message gets its id
//! here when it is sent and stays here until it is delivered or lost,
//! including the ones a partition holds back (`in_flight_on_partition =
//! "delay"`) and the ones waiting in a paused client's socket. The world's
//! event queue only says *when* message N arrives (`Pending::Deliver(N)`);
//! what it carries, from whom and to whom, is the network's. So a message
//! lost or dropped is simply taken out of the network, and whether a
//! message is still on its way is a question for the network alone.

use std::collections::BTreeMap;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::clock::ms;
use crate::scenario::{InFlight, Latency, NetworkSpec};
use crate::trace::Time;

pub(crate) use crate::actor::ActorId;

#[derive(Clone, Debug)]
struct Link {
    latency: Latency,
    loss: f64,
}

/// A message on the wire, with what it carries (`B`, the world's bodies).
#[derive(Clone, Debug)]
pub(crate) struct Message<B> {
    pub from: ActorId,
    pub to: ActorId,
    pub body: B,
}

#[derive(Clone, Debug)]
pub struct Network<B> {
    default: Link,
    links: BTreeMap<(ActorId, ActorId), Link>,
    /// Group of each listed actor while partitioned; `None` when whole.
    groups: Option<Partition>,
    pub in_flight: InFlight,
    /// Latency spikes (`delay` faults): extra time on messages between two
    /// sides until a time; expired ones are dropped as messages are sent.
    spikes: Vec<Spike>,
    /// One-way losses (`lose_one_way` faults): messages from one side to
    /// the other are dropped until a time; the other way still works.
    one_way: Vec<OneWay>,
    /// Messages sent and not yet delivered or lost, by id.
    messages: BTreeMap<u64, Message<B>>,
    /// Messages held back by a partition (`in_flight_on_partition = "delay"`).
    held: Vec<u64>,
    next_id: u64,
}

/// The sides of a partition: each listed actor's group; everyone else is
/// in group `rest` together, except the world, which is in none.
#[derive(Clone, Debug)]
struct Partition {
    groups: BTreeMap<ActorId, u32>,
    rest: u32,
}

impl Partition {
    fn group(&self, actor: ActorId) -> Option<u32> {
        match actor {
            ActorId::World => None,
            _ => Some(self.groups.get(&actor).copied().unwrap_or(self.rest)),
        }
    }
}

#[derive(Clone, Debug)]
struct OneWay {
    from: Vec<ActorId>,
    to: Vec<ActorId>,
    until: Time,
}

#[derive(Clone, Debug)]
struct Spike {
    sides: [Vec<ActorId>; 2],
    extra: Time,
    until: Time,
}

impl<B> Network<B> {
    /// `index` maps names to ids; the scenario was validated, so every name
    /// is known.
    pub fn new(spec: &NetworkSpec, index: &dyn Fn(&str) -> Option<ActorId>) -> Network<B> {
        let default = Link {
            latency: spec.latency_ms,
            loss: spec.loss,
        };
        let mut links = BTreeMap::new();
        for link in &spec.links {
            if let (Some(a), Some(b)) = (index(&link.between[0]), index(&link.between[1])) {
                let value = Link {
                    latency: link.latency_ms.unwrap_or(default.latency),
                    loss: link.loss.unwrap_or(default.loss),
                };
                links.insert(ordered(a, b), value);
            }
        }
        Network {
            default,
            links,
            groups: None,
            in_flight: spec.in_flight_on_partition,
            spikes: Vec::new(),
            one_way: Vec::new(),
            messages: BTreeMap::new(),
            held: Vec::new(),
            next_id: 1,
        }
    }

    /// Puts a message on the wire; returns its id.
    pub fn put(&mut self, message: Message<B>) -> u64 {
        let id = self.new_id();
        self.messages.insert(id, message);
        id
    }

    /// A fresh message id for a message that is never put on the wire (a
    /// pipelined command travels inside its pipeline's message).
    pub fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Message `id`, if it is still on its way.
    pub fn get(&self, id: u64) -> Option<&Message<B>> {
        self.messages.get(&id)
    }

    pub fn on_its_way(&self, id: u64) -> bool {
        self.messages.contains_key(&id)
    }

    /// Takes message `id` off the wire (delivered or lost).
    pub fn take(&mut self, id: u64) -> Option<Message<B>> {
        self.messages.remove(&id)
    }

    /// Puts message `id` back on the wire, under its own id: it arrived at
    /// a paused client and waits in the socket.
    pub fn put_back(&mut self, id: u64, message: Message<B>) {
        self.messages.insert(id, message);
    }

    /// A partition holds message `id` back until it heals.
    pub fn hold(&mut self, id: u64, message: Message<B>) {
        self.messages.insert(id, message);
        self.held.push(id);
    }

    /// The messages held back by the partition that just healed.
    pub fn take_held(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.held)
    }

    fn link(&self, a: ActorId, b: ActorId) -> &Link {
        self.links.get(&ordered(a, b)).unwrap_or(&self.default)
    }

    /// Whether a message can go from `a` to `b` now.
    pub fn connected(&self, a: ActorId, b: ActorId) -> bool {
        match &self.groups {
            None => true,
            Some(partition) => partition.group(a) == partition.group(b),
        }
    }

    pub fn is_partitioned(&self) -> bool {
        self.groups.is_some()
    }

    /// One-way delay for the next message on the link, drawn if a range.
    pub fn latency(&self, a: ActorId, b: ActorId, rng: &mut ChaCha8Rng) -> Time {
        match self.link(a, b).latency {
            Latency::Fixed(value) => ms(value),
            Latency::Range([low, high]) => {
                let (low, high) = (ms(low), ms(high));
                if high > low {
                    rng.random_range(low..=high)
                } else {
                    low
                }
            }
        }
    }

    /// Slows messages between the two sides by `extra` until `until`.
    pub fn slow(&mut self, sides: [Vec<ActorId>; 2], extra: Time, until: Time) {
        self.spikes.push(Spike {
            sides,
            extra,
            until,
        });
    }

    /// Drops messages from `from` to `to` (that way only) until `until`.
    pub fn lose_one_way(&mut self, from: Vec<ActorId>, to: Vec<ActorId>, until: Time) {
        self.one_way.push(OneWay { from, to, until });
    }

    /// Whether a message sent now from `a` to `b` is lost one way.
    pub fn lost_one_way(&mut self, a: ActorId, b: ActorId, now: Time) -> bool {
        if self.one_way.is_empty() {
            return false;
        }
        self.one_way.retain(|o| o.until > now);
        self.one_way
            .iter()
            .any(|o| o.from.contains(&a) && o.to.contains(&b))
    }

    /// Extra delay from latency spikes for a message sent now from `a` to
    /// `b` (spikes add up where they overlap).
    pub fn spike(&mut self, a: ActorId, b: ActorId, now: Time) -> Time {
        if self.spikes.is_empty() {
            return 0;
        }
        self.spikes.retain(|s| s.until > now);
        self.spikes
            .iter()
            .filter(|s| {
                let [one, other] = &s.sides;
                (one.contains(&a) && other.contains(&b)) || (one.contains(&b) && other.contains(&a))
            })
            .map(|s| s.extra)
            .sum()
    }

    /// Whether the next message on the link is lost (drawn only when the
    /// link can lose, so lossless scenarios use no randomness here).
    pub fn loses(&self, a: ActorId, b: ActorId, rng: &mut ChaCha8Rng) -> bool {
        let loss = self.link(a, b).loss;
        loss > 0.0 && rng.random::<f64>() < loss
    }

    /// Splits the actors: each listed group is one side; everyone not
    /// listed is on one more side together.
    pub fn partition(&mut self, groups: &[Vec<ActorId>]) {
        let mut assignment = BTreeMap::new();
        for (number, group) in groups.iter().enumerate() {
            for &actor in group {
                assignment.insert(actor, number as u32);
            }
        }
        self.groups = Some(Partition {
            groups: assignment,
            rest: groups.len() as u32,
        });
    }

    pub fn heal(&mut self) {
        self.groups = None;
    }
}

fn ordered(a: ActorId, b: ActorId) -> (ActorId, ActorId) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network() -> Network<&'static str> {
        let spec: NetworkSpec = toml::from_str("").expect("default network");
        Network::new(&spec, &|_| None)
    }

    #[test]
    fn a_message_stays_on_the_network_until_it_is_delivered_or_lost() {
        let mut net = network();
        let (a, b) = (ActorId::node(0), ActorId::client(0));
        let first = net.put(Message {
            from: a,
            to: b,
            body: "PING",
        });
        let second = net.put(Message {
            from: b,
            to: a,
            body: "PONG",
        });
        assert_ne!(first, second);
        assert!(net.on_its_way(first));
        assert_eq!(net.take(first).map(|m| m.body), Some("PING"));
        assert!(!net.on_its_way(first));
        assert!(net.take(first).is_none(), "delivered once");

        // Held by a partition: still on its way, handed back after a heal.
        let held = net.take(second).expect("second");
        net.hold(second, held);
        assert!(net.on_its_way(second));
        assert_eq!(net.take_held(), [second]);
        assert!(net.take_held().is_empty());
        assert_eq!(net.get(second).map(|m| m.to), Some(a));
    }

    #[test]
    fn a_partition_separates_the_sides_and_leaves_the_world_in_none() {
        let mut net = network();
        let (r1, r2, c1) = (ActorId::node(0), ActorId::node(1), ActorId::client(0));
        net.partition(&[vec![r1]]);
        assert!(!net.connected(r1, c1));
        assert!(net.connected(r2, c1), "the unlisted actors are one side");
        assert!(!net.connected(ActorId::World, c1));
        net.heal();
        assert!(net.connected(r1, c1));
    }
}
