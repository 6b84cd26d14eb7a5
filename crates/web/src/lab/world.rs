//! The world at one step: each node's keys and TTLs, who is inside each
//! critical section, each resource's counters — drawn from the trace's
//! snapshots, never by running anything again.
//!
//! The simulator gives each event that changed the world a snapshot of it
//! right after that event, so the step's world is the latest snapshot at or
//! before it (`Trace::state_at`). TTLs in a snapshot are as of the
//! snapshot's time; they are counted down to the step's time on the node's
//! own clock (`clock_rate`; a clock jump always brings a new snapshot).
//!
//! What the step itself changed is marked too (a key set, its value or TTL
//! replaced, a key gone): the step's snapshot against the one before it, so
//! a TTL merely counting down is not a change.

use lockstep_sim::trace::{KeyState, Trace, What, WorldState};

use super::timeline::ms;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorldView {
    /// Global time of the step, in ms.
    pub time: String,
    pub nodes: Vec<NodeView>,
    /// Every section the run ever entered, in order of first entry, so an
    /// empty one reads "nobody inside" instead of vanishing.
    pub sections: Vec<SectionView>,
    pub resources: Vec<ResourceView>,
    /// Each consensus service, as its members have committed it.
    pub services: Vec<ServiceView>,
}

/// A consensus service at the step: who leads, and the committed keys
/// with the revision that wrote each (the fencing token a holder carries).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceView {
    pub name: String,
    /// `etcd-2 leads term 2`, or `no leader (term 1)` during an election.
    pub leader: String,
    pub revision: u64,
    /// `lock:report = "client-1" (revision 1, lease 1)`, in key order.
    pub keys: Vec<String>,
    /// Members that are down.
    pub down: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub name: String,
    pub up: bool,
    /// `primary` or `replica of <name>`.
    pub role: String,
    pub keys: Vec<KeyRow>,
    /// Keys this step removed (expired, deleted, lost in a crash).
    pub removed: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyRow {
    pub key: String,
    /// Redis type: `string`, `hash`, ...
    pub kind: String,
    pub value: String,
    /// Time left, e.g. `8966 ms`; `None` for a key without a TTL.
    pub ttl: Option<String>,
    /// What this step did to the key, if anything.
    pub change: Option<KeyChange>,
}

/// What a step did to a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// It did not exist before this step.
    New,
    /// Its value (or type) changed.
    Value,
    /// Its TTL was set, removed or moved, rather than counting down.
    Ttl,
}

impl KeyChange {
    /// A word for the badge, and a CSS class.
    pub fn word(self) -> &'static str {
        match self {
            KeyChange::New => "new",
            KeyChange::Value => "changed",
            KeyChange::Ttl => "TTL changed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct SectionView {
    pub name: String,
    pub inside: Vec<String>,
}

impl SectionView {
    /// More than one process inside: what mutual exclusion forbids.
    pub fn crowded(&self) -> bool {
        self.inside.len() > 1
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceView {
    pub name: String,
    pub highest_token: Option<i64>,
    pub accepted: u32,
    pub rejected: u32,
    pub last_value: String,
}

/// Section names in the order the run first entered them.
pub fn section_names(trace: &Trace) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for event in &trace.events {
        if let What::Enter { name } = &event.what {
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    names
}

/// The world after event `step` (an index into `trace.events`, which is
/// also its `seq`). Steps past the end show the last one.
pub fn world_at(trace: &Trace, sections: &[String], step: usize) -> WorldView {
    let events = &trace.events;
    let Some(last) = events.len().checked_sub(1) else {
        return WorldView::default();
    };
    let step = step.min(last);
    // The latest snapshot at or before the step (the first event has one).
    let Some(state_index) = (0..=step).rev().find(|&i| events[i].state.is_some()) else {
        return WorldView {
            time: ms(events[step].t_us),
            ..WorldView::default()
        };
    };
    let state: &WorldState = events[state_index]
        .state
        .as_ref()
        .expect("chosen for having a state");
    // The snapshot before this step's, when this step brought one: what
    // the step changed is the difference.
    let before: Option<&WorldState> = (state_index == step)
        .then(|| (0..step).rev().find_map(|i| events[i].state.as_ref()))
        .flatten();
    let step_us = events[step].t_us;
    let before_us = before.and_then(|_| {
        (0..step)
            .rev()
            .find(|&i| events[i].state.is_some())
            .map(|i| events[i].t_us)
    });
    let holders = &state.holders;
    // Global ms since the snapshot; each node's clock advances `clock_rate`
    // times that.
    let elapsed_ms = events[step].t_us.saturating_sub(events[state_index].t_us) as f64 / 1000.0;
    WorldView {
        time: ms(events[step].t_us),
        nodes: state
            .nodes
            .iter()
            .map(|(name, node)| NodeView {
                name: name.clone(),
                up: node.up,
                role: node.role.clone(),
                keys: node
                    .keys
                    .iter()
                    .map(|k| KeyRow {
                        key: k.key.clone(),
                        kind: k.kind.clone(),
                        value: k.value.clone(),
                        ttl: k.ttl_ms.map(|ttl| {
                            let left = (ttl as f64 - elapsed_ms * node.clock_rate).max(0.0).round();
                            format!("{left} ms")
                        }),
                        change: before.and_then(|b| {
                            let was = b.nodes.get(name)?.keys.iter().find(|w| w.key == k.key);
                            let since_ms = before_us.map_or(0.0, |t| (step_us - t) as f64 / 1000.0);
                            key_change(was, k, since_ms * node.clock_rate)
                        }),
                    })
                    .collect(),
                removed: before
                    .and_then(|b| b.nodes.get(name))
                    .map(|was| {
                        was.keys
                            .iter()
                            .filter(|w| !node.keys.iter().any(|k| k.key == w.key))
                            .map(|w| w.key.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect(),
        sections: sections
            .iter()
            .map(|name| SectionView {
                name: name.clone(),
                inside: holders.get(name).cloned().unwrap_or_default(),
            })
            .chain(
                holders
                    .iter()
                    .filter(|(name, _)| !sections.contains(name))
                    .map(|(name, inside)| SectionView {
                        name: name.clone(),
                        inside: inside.clone(),
                    }),
            )
            .collect(),
        resources: state
            .resources
            .iter()
            .map(|(name, r)| ResourceView {
                name: name.clone(),
                highest_token: r.highest_token,
                accepted: r.accepted,
                rejected: r.rejected,
                last_value: r.last_value.clone(),
            })
            .collect(),
        services: state
            .consensus
            .iter()
            .map(|(name, s)| service_view(name, s))
            .collect(),
    }
}

fn service_view(name: &str, service: &lockstep_sim::trace::ConsensusState) -> ServiceView {
    ServiceView {
        name: name.to_string(),
        leader: match &service.leader {
            Some(leader) => format!("{leader} leads term {}", service.term),
            None => format!("no leader (term {})", service.term),
        },
        revision: service.revision,
        keys: service
            .keys
            .iter()
            .map(|k| {
                let lease = k.lease.map(|l| format!(", lease {l}")).unwrap_or_default();
                format!(
                    "{} = \u{201c}{}\u{201d} (revision {}{lease})",
                    k.key, k.value, k.revision
                )
            })
            .collect(),
        down: service.down.clone(),
    }
}

/// What changed between a key as it was (`None`: absent) and as it is,
/// `elapsed_ms` later on its node's clock.
fn key_change(was: Option<&KeyState>, now: &KeyState, elapsed_ms: f64) -> Option<KeyChange> {
    let Some(was) = was else {
        return Some(KeyChange::New);
    };
    if was.value != now.value || was.kind != now.kind || was.bytes != now.bytes {
        return Some(KeyChange::Value);
    }
    match (was.ttl_ms, now.ttl_ms) {
        (None, None) => None,
        // Counting down by the time that passed is no change; anything
        // else (a renewal, PERSIST, a new EXPIRE) is.
        (Some(a), Some(b)) if (a as f64 - elapsed_ms - b as f64).abs() <= 1.0 => None,
        _ => Some(KeyChange::Ttl),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    fn at(trace: &Trace, step: usize) -> WorldView {
        world_at(trace, &section_names(trace), step)
    }

    #[test]
    fn at_the_violation_both_clients_are_inside_and_the_lock_has_a_ttl() {
        let trace = story_trace("gc_pause_past_ttl");
        let seq = trace.first_violation().and_then(|v| v.at_seq).unwrap() as usize;
        let world = at(&trace, seq);
        assert_eq!(world.sections[0].name, "report");
        assert_eq!(world.sections[0].inside, ["client-1", "client-2"]);
        assert!(world.sections[0].crowded());
        let redis = &world.nodes[0];
        assert!(redis.up);
        assert_eq!(redis.role, "primary");
        assert_eq!(redis.keys[0].key, "lock:report");
        assert_eq!(redis.keys[0].ttl.as_deref(), Some("9999 ms"));
    }

    #[test]
    fn a_consensus_service_shows_its_leader_and_the_revision_of_each_key() {
        let trace = story_trace("consensus_lock_gc_pause");
        let seq = trace.first_violation().and_then(|v| v.at_seq).unwrap() as usize;
        let world = world_at(&trace, &section_names(&trace), seq);
        let etcd = &world.services[0];
        assert_eq!(etcd.name, "etcd");
        assert_eq!(etcd.leader, "etcd-1 leads term 1");
        // client-2 entered on the key it wrote after client-1's lease ran
        // out: revision 1 was client-1's put, 2 the expiry.
        assert_eq!(etcd.keys.len(), 1);
        assert!(
            etcd.keys[0].starts_with("lock:report = \u{201c}client-2\u{201d} (revision 3"),
            "{:?}",
            etcd.keys
        );
        assert!(etcd.down.is_empty());
        let no_service = world_at(&story_trace("gc_pause_past_ttl"), &[], 5);
        assert!(no_service.services.is_empty());
    }

    #[test]
    fn a_resource_write_shows_at_its_own_step() {
        let trace = story_trace("gc_pause_past_ttl");
        let write = trace
            .events
            .iter()
            .rposition(|e| matches!(&e.what, What::Write { from, .. } if from == "client-1"))
            .unwrap();
        let storage = &at(&trace, write).resources[0];
        assert_eq!(storage.accepted, 2);
        assert_eq!(storage.last_value, "report by client-1");
        let before = &at(&trace, write - 1).resources[0];
        assert_eq!(before.accepted, 1);
    }

    #[test]
    fn ttls_count_down_between_snapshots() {
        let trace = story_trace("gc_pause_past_ttl");
        // The lock is set at 1 ms with 10 s; by the pause (2 ms) 9999 ms are
        // left, and a step later in the pause, less.
        let paused = trace
            .events
            .iter()
            .position(|e| matches!(e.what, What::Pause { .. }))
            .unwrap();
        let ttl_at = |step: usize| at(&trace, step).nodes[0].keys[0].ttl.clone();
        assert_eq!(ttl_at(paused).as_deref(), Some("9999 ms"));
        let later = (paused + 1..trace.events.len())
            .find(|&i| trace.events[i].t_us > 5_000_000)
            .unwrap();
        let left: f64 = ttl_at(later)
            .unwrap()
            .trim_end_matches(" ms")
            .parse()
            .unwrap();
        let expected = 10_001.0 - trace.events[later].t_us as f64 / 1000.0;
        assert!((left - expected).abs() <= 1.0, "{left} vs {expected}");
    }

    #[test]
    fn a_step_marks_the_keys_it_changed() {
        let trace = story_trace("gc_pause_past_ttl");
        let set = trace
            .events
            .iter()
            .position(|e| matches!(&e.what, What::Exec { from, .. } if from == "client-1"))
            .unwrap();
        let redis = |step: usize| at(&trace, step).nodes[0].clone();
        assert_eq!(redis(set).keys[0].change, Some(KeyChange::New));
        // A step later the TTL has only counted down: no change.
        let next_snapshot = (set + 1..trace.events.len())
            .find(|&i| trace.events[i].state.is_some())
            .unwrap();
        assert!(redis(set + 1).keys.iter().all(|k| k.change.is_none()));
        let expire = trace
            .events
            .iter()
            .position(|e| matches!(e.what, What::Expire { .. }))
            .unwrap();
        assert!(next_snapshot <= expire);
        assert_eq!(redis(expire).removed, ["lock:report"]);
        assert!(redis(expire - 1).removed.is_empty());
        // client-2's SET after the expiry creates it anew.
        let taken = (expire..trace.events.len())
            .find(|&i| {
                redis(i)
                    .keys
                    .first()
                    .is_some_and(|k| k.change == Some(KeyChange::New))
            })
            .unwrap();
        assert!(matches!(&trace.events[taken].what, What::Exec { from, .. } if from == "client-2"));
    }

    #[test]
    fn the_first_step_shows_the_seed_data() {
        let trace = story_trace("bank_transfer");
        assert!(
            trace.events[0].state.is_some(),
            "the first event has a snapshot"
        );
        let world = at(&trace, 0);
        let keys: Vec<(&str, &str)> = world.nodes[0]
            .keys
            .iter()
            .map(|k| (k.key.as_str(), k.value.as_str()))
            .collect();
        assert_eq!(keys, [("acct:a", "\"100\""), ("acct:b", "\"100\"")]);
        assert!(world.nodes[0].keys.iter().all(|k| k.ttl.is_none()));
    }

    #[test]
    fn empty_sections_stay_listed_and_steps_past_the_end_clamp() {
        let trace = story_trace("gc_pause_past_ttl");
        let end = at(&trace, 1_000_000);
        assert_eq!(end.time, super::ms(trace.end_us));
        assert_eq!(end.sections.len(), 1);
        assert!(end.sections[0].inside.is_empty());
        assert_eq!(at(&Trace::default(), 3), WorldView::default());
    }

    #[test]
    fn every_step_of_every_story_draws() {
        for name in lockstep_lessons::stories::catalogue()
            .iter()
            .map(|s| s.name)
        {
            let trace = story_trace(name);
            let sections = section_names(&trace);
            for step in 0..trace.events.len() {
                let world = world_at(&trace, &sections, step);
                assert!(!world.nodes.is_empty(), "{name} step {step}");
                for section in &world.sections {
                    let mut sorted = section.inside.clone();
                    sorted.dedup();
                    assert_eq!(sorted.len(), section.inside.len(), "{name} step {step}");
                }
            }
        }
    }
}
