//! One swimlane per actor but the world: traffic generators and clients on
//! top, where the story starts, nodes (and the sentinel) in the middle,
//! resources and databases at the bottom, so most arrows cross few lanes. A node's lane grows a row for
//! each lock key it holds a bar for.

use std::collections::BTreeMap;

use lockstep_sim::trace::{ActorKind, Trace};

/// Height of the axis strip above the lanes.
pub const AXIS_H: f64 = 30.0;
/// Height of a lane's event line.
pub const LANE_H: f64 = 46.0;
/// Extra height of a lane whose label carries a note on two lines.
pub const NOTE_H: f64 = 10.0;
/// Height of one key row under a node's event line.
pub const KEY_ROW_H: f64 = 22.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub name: String,
    /// `client`, `node`, `resource` or `sentinel`: a CSS class.
    pub kind: &'static str,
    pub top: f64,
    pub height: f64,
    /// The keys with a row on this lane, top to bottom.
    pub keys: Vec<String>,
    /// Shown under the name: how the actor differs from its kind's
    /// defaults (`scripts at 1% speed`).
    pub note: Option<String>,
}

impl Lane {
    /// The y of the lane's event line.
    pub fn y(&self) -> f64 {
        self.top + LANE_H / 2.0
    }

    /// The y of a key row's bar (its middle).
    pub fn key_y(&self, key: &str) -> Option<f64> {
        let row = self.keys.iter().position(|k| k == key)?;
        Some(self.top + LANE_H + KEY_ROW_H * row as f64 + KEY_ROW_H / 2.0 - 2.0)
    }
}

fn rank(kind: ActorKind) -> u8 {
    match kind {
        ActorKind::Traffic => 0,
        ActorKind::Client => 1,
        ActorKind::Node => 2,
        ActorKind::Operator => 3,
        ActorKind::Sentinel => 4,
        ActorKind::Resource => 5,
        ActorKind::Member => 6,
        ActorKind::Database => 7,
        ActorKind::World => 8,
    }
}

pub fn kind_name(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Node => "node",
        ActorKind::Client => "client",
        ActorKind::Resource => "resource",
        ActorKind::Sentinel => "sentinel",
        ActorKind::Operator => "operator",
        ActorKind::Database => "database",
        ActorKind::Traffic => "traffic",
        ActorKind::Member => "consensus member",
        ActorKind::World => "world",
    }
}

/// The lanes, top to bottom, and the height of everything.
pub fn lay_out(trace: &Trace, key_rows: &BTreeMap<String, Vec<String>>) -> (Vec<Lane>, f64) {
    let mut actors: Vec<_> = trace
        .actors
        .iter()
        .filter(|a| a.kind != ActorKind::World)
        .collect();
    // Stable: the scenario's order within each kind.
    actors.sort_by_key(|a| rank(a.kind));
    let mut top = AXIS_H;
    let lanes = actors
        .into_iter()
        .map(|actor| {
            let keys = key_rows.get(&actor.name).cloned().unwrap_or_default();
            let height = LANE_H
                + KEY_ROW_H * keys.len() as f64
                + if keys.is_empty() { 0.0 } else { 6.0 }
                + if actor.note.is_some() { NOTE_H } else { 0.0 };
            let lane = Lane {
                name: actor.name.clone(),
                kind: kind_name(actor.kind),
                top,
                height,
                keys,
                note: actor.note.clone(),
            };
            top += height;
            lane
        })
        .collect();
    (lanes, top + 8.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::picture::keys::key_bars;
    use crate::lab::tests::story_trace;

    #[test]
    fn clients_above_nodes_above_resources_and_key_rows_widen_nodes() {
        let trace = story_trace("gc_pause_past_ttl");
        let (lanes, height) = lay_out(&trace, &key_bars(&trace).rows);
        let names: Vec<&str> = lanes.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["client-1", "client-2", "redis", "storage"]);
        let redis = &lanes[2];
        assert_eq!(redis.keys, ["lock:report"]);
        assert!(redis.height > lanes[0].height);
        let key_y = redis.key_y("lock:report").unwrap();
        assert!(key_y > redis.y() && key_y < redis.top + redis.height);
        for pair in lanes.windows(2) {
            assert_eq!(pair[0].top + pair[0].height, pair[1].top, "lanes touch");
        }
        assert!(height >= lanes[3].top + lanes[3].height);
    }

    #[test]
    fn a_node_declared_slower_says_so_on_its_lane() {
        let trace = story_trace("busy_script");
        let (lanes, _) = lay_out(&trace, &key_bars(&trace).rows);
        let redis = lanes.iter().find(|l| l.name == "redis").unwrap();
        assert_eq!(redis.note.as_deref(), Some("scripts at 2% speed"));
        assert!(lanes
            .iter()
            .filter(|l| l.name != "redis")
            .all(|l| l.note.is_none()));
    }

    #[test]
    fn the_operator_has_its_own_lane_just_below_the_nodes() {
        let trace = story_trace("rolling_deploy_script_flush");
        let (lanes, _) = lay_out(&trace, &key_bars(&trace).rows);
        let lanes: Vec<(&str, &str)> = lanes.iter().map(|l| (l.name.as_str(), l.kind)).collect();
        assert_eq!(
            lanes,
            [
                ("app-1", "client"),
                ("app-2", "client"),
                ("redis", "node"),
                ("operator", "operator")
            ]
        );
    }
}
