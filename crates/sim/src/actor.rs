//! Who is who in the world: typed actor ids and the roster of names.
//!
//! Every actor has an [`ActorId`]: its kind and its index among the actors
//! of that kind (a node's index into the world's nodes, a client's into its
//! processes, a consensus member's service and place in it). Events the
//! fault injector writes belong to [`ActorId::World`].
//!
//! The variants are declared in the order the trace lists actors (nodes,
//! clients, resources, databases, traffic, members, the operator, the
//! sentinel), and the derived order follows it, so anything kept in an
//! ordered map by actor is walked in the trace's actor order.

use crate::scenario::Scenario;
use crate::trace::{Actor, ActorKind};

/// A node: its index in the scenario's `[[node]]` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct NodeId(pub usize);

/// A client process: its index in the scenario's `[[client]]` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ClientId(pub usize);

/// A `[[resource]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct ResourceId(pub usize);

/// A `[[database]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct DatabaseId(pub usize);

/// A `[[traffic]]` generator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct TrafficId(pub usize);

/// Member `member` of consensus service `service`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct MemberId {
    pub service: usize,
    pub member: usize,
}

/// Which actor sends, receives or is written about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum ActorId {
    Node(NodeId),
    Client(ClientId),
    Resource(ResourceId),
    Database(DatabaseId),
    Traffic(TrafficId),
    Member(MemberId),
    /// The `[[operator]]`'s terminal on a node's host.
    Operator,
    Sentinel,
    /// The fault injector: partitions, heals, verdicts.
    World,
}

impl ActorId {
    pub fn node(index: usize) -> ActorId {
        ActorId::Node(NodeId(index))
    }

    pub fn client(index: usize) -> ActorId {
        ActorId::Client(ClientId(index))
    }

    /// The node's index, if this actor is a node.
    pub fn as_node(self) -> Option<usize> {
        match self {
            ActorId::Node(NodeId(n)) => Some(n),
            _ => None,
        }
    }

    /// The process index, if this actor is a client.
    pub fn as_client(self) -> Option<usize> {
        match self {
            ActorId::Client(ClientId(c)) => Some(c),
            _ => None,
        }
    }

    /// The kind the trace gives this actor; `None` for the world.
    pub fn kind(self) -> Option<ActorKind> {
        Some(match self {
            ActorId::Node(_) => ActorKind::Node,
            ActorId::Client(_) => ActorKind::Client,
            ActorId::Resource(_) => ActorKind::Resource,
            ActorId::Database(_) => ActorKind::Database,
            ActorId::Traffic(_) => ActorKind::Traffic,
            ActorId::Member(_) => ActorKind::Member,
            ActorId::Operator => ActorKind::Operator,
            ActorId::Sentinel => ActorKind::Sentinel,
            ActorId::World => return None,
        })
    }
}

/// The world's actors in trace order, with their names.
#[derive(Clone, Debug)]
pub(crate) struct Roster {
    /// Sorted by id (the trace's actor order).
    actors: Vec<(ActorId, String)>,
}

impl Roster {
    /// Every actor `scenario` has.
    pub fn new(scenario: &Scenario) -> Roster {
        let mut actors = Vec::new();
        let mut add = |names: Vec<&String>, id: fn(usize) -> ActorId| {
            for (i, name) in names.into_iter().enumerate() {
                actors.push((id(i), name.clone()));
            }
        };
        add(
            scenario.nodes.iter().map(|n| &n.name).collect(),
            ActorId::node,
        );
        add(
            scenario.clients.iter().map(|c| &c.name).collect(),
            ActorId::client,
        );
        add(scenario.resources.iter().map(|r| &r.name).collect(), |i| {
            ActorId::Resource(ResourceId(i))
        });
        add(scenario.databases.iter().map(|d| &d.name).collect(), |i| {
            ActorId::Database(DatabaseId(i))
        });
        add(scenario.traffic.iter().map(|t| &t.name).collect(), |i| {
            ActorId::Traffic(TrafficId(i))
        });
        for (service, spec) in scenario.consensus.iter().enumerate() {
            for (member, name) in spec.member_names().into_iter().enumerate() {
                actors.push((ActorId::Member(MemberId { service, member }), name));
            }
        }
        if !scenario.operators.is_empty() {
            actors.push((ActorId::Operator, crate::scenario::OPERATOR.into()));
        }
        if scenario.sentinel.is_some() {
            actors.push((ActorId::Sentinel, "sentinel".into()));
        }
        debug_assert!(actors.windows(2).all(|w| w[0].0 < w[1].0));
        Roster { actors }
    }

    /// The actor's name; "world" for the world.
    pub fn name(&self, id: ActorId) -> &str {
        match self.actors.binary_search_by_key(&id, |(a, _)| *a) {
            Ok(i) => &self.actors[i].1,
            Err(_) => "world",
        }
    }

    /// The actor called `name`.
    pub fn named(&self, name: &str) -> Option<ActorId> {
        self.actors.iter().find(|(_, n)| n == name).map(|(a, _)| *a)
    }

    /// The actors, in order, as the trace lists them.
    pub fn trace_actors(&self) -> Vec<Actor> {
        self.actors
            .iter()
            .filter_map(|(id, name)| {
                Some(Actor {
                    name: name.clone(),
                    kind: id.kind()?,
                    note: None,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        Scenario::parse(
            r#"
title = "roster"
duration_ms = 10
[[node]]
name = "r1"
[[node]]
name = "r2"
[[client]]
name = "c1"
program = "return"
[[consensus]]
name = "etcd"
members = 2
[[operator]]
at_ms = 1
node = "r1"
command = "PING"
"#,
        )
        .expect("scenario")
    }

    #[test]
    fn the_roster_lists_actors_in_the_traces_order_and_finds_them_by_name() {
        let roster = Roster::new(&scenario());
        let names: Vec<String> = roster.trace_actors().into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["r1", "r2", "c1", "etcd-1", "etcd-2", "operator"]);
        assert_eq!(roster.named("r2"), Some(ActorId::node(1)));
        assert_eq!(roster.named("c1"), Some(ActorId::client(0)));
        assert_eq!(
            roster.named("etcd-2"),
            Some(ActorId::Member(MemberId {
                service: 0,
                member: 1
            }))
        );
        assert_eq!(roster.named("operator"), Some(ActorId::Operator));
        assert_eq!(roster.named("nobody"), None);
        assert_eq!(roster.name(ActorId::client(0)), "c1");
        assert_eq!(roster.name(ActorId::World), "world");
        assert_eq!(ActorId::World.kind(), None);
    }
}
