//! Each lock key's life as bars on its node's lane: when it appeared,
//! who set it, when its TTL would run out, and what ended it (expiry, a
//! DEL, a crash, another holder). Read from the facts of the trace — the
//! snapshots' keys and TTLs, and the `from` of the command that set the
//! value — never from display text.
//!
//! A key gets a bar when it ever has a TTL or was created during the run
//! (a SETNX lock whose EXPIRE never came is exactly the one to see);
//! seed data that just sits there does not.

use std::collections::BTreeMap;

use lockstep_sim::trace::{NodeState, Trace, What};

/// Most key rows drawn on one node's lane; the rest are counted.
pub const MAX_ROWS: usize = 4;

/// Why a bar ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Ended {
    /// Its TTL ran out (an `expire` event on its node).
    Expired,
    /// A command removed it (DEL, a script's DEL, ...), by this actor.
    Removed { by: String },
    /// A command replaced its value or renewed its TTL, by this actor.
    Replaced { by: String },
    /// The node lost it (crash, restart, failover).
    Lost,
    /// Still there when the run stopped.
    RunEnd,
}

/// One stretch of a key with one value and one TTL.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyBar {
    pub node: String,
    pub key: String,
    /// The client whose command set the value; the value itself when no
    /// command of the run set it (seed data, a replica's copy of an
    /// unknown write).
    pub holder: String,
    pub value: String,
    pub start_seq: usize,
    pub start_us: u64,
    /// The event that ended it; `None` when it outlived the run.
    pub end_seq: Option<usize>,
    pub ended: Ended,
    /// When the TTL runs out, in global time, as the last snapshot of
    /// this stretch sees it; `None` without a TTL.
    pub deadline_us: Option<u64>,
    /// How fast its node's clock runs, to count the TTL down on it.
    pub clock_rate: f64,
}

impl KeyBar {
    /// The TTL left at global time `now_us` while the bar lasts, in ms on
    /// the node's clock.
    pub fn ttl_left_ms(&self, now_us: u64) -> Option<f64> {
        let deadline = self.deadline_us?;
        Some(((deadline as f64 - now_us as f64) / 1000.0 * self.clock_rate).max(0.0))
    }

    /// Whether the bar covers event `seq`.
    pub fn covers(&self, seq: usize) -> bool {
        seq >= self.start_seq && self.end_seq.is_none_or(|end| seq < end)
    }
}

/// The bars, and the keys (in order of first appearance) that have a row
/// on each node's lane.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyBars {
    pub bars: Vec<KeyBar>,
    pub rows: BTreeMap<String, Vec<String>>,
    /// Keys per node that would have had a row past [`MAX_ROWS`].
    pub hidden: BTreeMap<String, usize>,
}

/// A key as one snapshot has it.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    value: String,
    ttl_ms: Option<i64>,
}

pub fn key_bars(trace: &Trace) -> KeyBars {
    let events = &trace.events;
    let tracked = tracked_keys(trace);
    let mut open: BTreeMap<(String, String), (KeyBar, Seen)> = BTreeMap::new();
    let mut bars = Vec::new();
    // Who wrote each value first: a replica's copy keeps its holder.
    let mut writers: BTreeMap<String, String> = BTreeMap::new();
    for (seq, event) in events.iter().enumerate() {
        let Some(state) = &event.state else {
            continue;
        };
        let setter = match &event.what {
            What::Exec { from, .. } => Some(from.clone()),
            _ => None,
        };
        for (node, node_state) in &state.nodes {
            let Some(keys) = tracked.get(node) else {
                continue;
            };
            let now = seen_keys(node_state);
            // Bars that end here: gone, or another value or a fresh TTL.
            let names: Vec<String> = open
                .keys()
                .filter(|(n, _)| n == node)
                .map(|(_, k)| k.clone())
                .collect();
            for key in names {
                let Some((bar, was)) = open.get(&(node.clone(), key.clone())) else {
                    continue;
                };
                let after = now.get(&key);
                let changed = match after {
                    None => true,
                    Some(seen) => seen.value != was.value || renewed(was, seen, bar, event.t_us),
                };
                if !changed {
                    continue;
                }
                let ended = match (&event.what, after, &setter) {
                    (What::Expire { key: k }, None, _) if *k == key && event.actor == *node => {
                        Ended::Expired
                    }
                    (_, None, Some(by)) if event.actor == *node => {
                        Ended::Removed { by: by.clone() }
                    }
                    (_, Some(_), Some(by)) if event.actor == *node => {
                        Ended::Replaced { by: by.clone() }
                    }
                    _ => Ended::Lost,
                };
                if let Some((mut bar, _)) = open.remove(&(node.clone(), key.clone())) {
                    bar.end_seq = Some(seq);
                    bar.ended = ended;
                    bars.push(bar);
                }
            }
            // Bars that start or go on here.
            for (key, seen) in &now {
                if !keys.contains(key) {
                    continue;
                }
                let deadline = seen.ttl_ms.map(|ttl| {
                    event.t_us + (ttl.max(0) as f64 * 1000.0 / node_state.clock_rate) as u64
                });
                if let Some((bar, was)) = open.get_mut(&(node.clone(), key.clone())) {
                    // A clock jump moves the deadline; a TTL read in whole
                    // milliseconds a little later does not.
                    let moved = match (bar.deadline_us, deadline) {
                        (Some(a), Some(b)) => a.abs_diff(b) > 1000,
                        (a, b) => a != b,
                    };
                    if moved {
                        bar.deadline_us = deadline;
                    }
                    *was = seen.clone();
                    continue;
                }
                let holder = match (&setter, event.actor == *node) {
                    (Some(by), true) => {
                        writers.entry(seen.value.clone()).or_insert(by.clone());
                        by.clone()
                    }
                    _ => writers
                        .get(&seen.value)
                        .cloned()
                        .unwrap_or_else(|| seen.value.clone()),
                };
                let bar = KeyBar {
                    node: node.clone(),
                    key: key.clone(),
                    holder,
                    value: seen.value.clone(),
                    start_seq: seq,
                    start_us: event.t_us,
                    end_seq: None,
                    ended: Ended::RunEnd,
                    deadline_us: deadline,
                    clock_rate: node_state.clock_rate,
                };
                open.insert((node.clone(), key.clone()), (bar, seen.clone()));
            }
        }
    }
    bars.extend(open.into_values().map(|(bar, _)| bar));
    bars.sort_by_key(|b| (b.start_seq, b.node.clone(), b.key.clone()));
    let mut rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut hidden: BTreeMap<String, usize> = BTreeMap::new();
    for bar in &bars {
        let row = rows.entry(bar.node.clone()).or_default();
        if row.contains(&bar.key) {
            continue;
        }
        if row.len() < MAX_ROWS {
            row.push(bar.key.clone());
        } else {
            *hidden.entry(bar.node.clone()).or_default() += 1;
        }
    }
    bars.retain(|b| rows.get(&b.node).is_some_and(|r| r.contains(&b.key)));
    KeyBars { bars, rows, hidden }
}

/// A TTL that went up (a renewal, a PEXPIRE) rather than running down:
/// the new deadline is later than the bar's by more than a millisecond.
fn renewed(was: &Seen, now: &Seen, bar: &KeyBar, now_us: u64) -> bool {
    match (was.ttl_ms, now.ttl_ms, bar.deadline_us) {
        (None, Some(_), _) => true,
        (Some(_), Some(ttl), Some(deadline)) => {
            let new_deadline = now_us as f64 + ttl as f64 * 1000.0 / bar.clock_rate;
            new_deadline > deadline as f64 + 1000.0
        }
        _ => false,
    }
}

fn seen_keys(node: &NodeState) -> BTreeMap<String, Seen> {
    node.keys
        .iter()
        .map(|k| {
            (
                k.key.clone(),
                Seen {
                    value: k.value.clone(),
                    ttl_ms: k.ttl_ms,
                },
            )
        })
        .collect()
}

/// Per node, the keys that get bars: ever with a TTL, or absent from the
/// node's first snapshot.
fn tracked_keys(trace: &Trace) -> BTreeMap<String, Vec<String>> {
    let mut first: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut tracked: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for state in trace.events.iter().filter_map(|e| e.state.as_ref()) {
        for (node, node_state) in &state.nodes {
            let seed = first
                .entry(node)
                .or_insert_with(|| node_state.keys.iter().map(|k| k.key.as_str()).collect());
            let keys = tracked.entry(node.clone()).or_default();
            for k in &node_state.keys {
                let wanted = k.ttl_ms.is_some() || !seed.contains(&k.key.as_str());
                if wanted && !keys.contains(&k.key) {
                    keys.push(k.key.clone());
                }
            }
        }
    }
    tracked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    fn index_of(trace: &Trace, pick: impl Fn(&What) -> bool) -> usize {
        trace.events.iter().position(|e| pick(&e.what)).unwrap()
    }

    #[test]
    fn the_lock_bar_runs_from_the_set_to_the_expire_event() {
        let trace = story_trace("gc_pause_past_ttl");
        let bars = key_bars(&trace);
        let first = &bars.bars[0];
        assert_eq!(
            (first.node.as_str(), first.key.as_str()),
            ("redis", "lock:report")
        );
        assert_eq!(first.holder, "client-1");
        // It starts at the SET that created it: the node's exec from client-1.
        let set = index_of(
            &trace,
            |w| matches!(w, What::Exec { from, .. } if from == "client-1"),
        );
        assert_eq!(first.start_seq, set);
        let expire = index_of(&trace, |w| matches!(w, What::Expire { .. }));
        assert_eq!(first.end_seq, Some(expire));
        assert_eq!(first.ended, Ended::Expired);
        // The deadline is the SET's time plus its TTL.
        let ttl = trace.events[set].state.as_ref().unwrap().nodes["redis"].keys[0]
            .ttl_ms
            .unwrap();
        assert_eq!(
            first.deadline_us,
            Some(trace.events[set].t_us + ttl as u64 * 1000)
        );
        assert!(trace.events[expire].t_us >= first.deadline_us.unwrap());
        // Then client-2 takes it.
        let second = &bars.bars[1];
        assert_eq!(second.holder, "client-2");
        assert!(second.start_seq > expire);
        assert_eq!(bars.rows["redis"], ["lock:report"]);
    }

    #[test]
    fn the_ttl_runs_down_while_the_bar_lasts() {
        let trace = story_trace("gc_pause_past_ttl");
        let bar = &key_bars(&trace).bars[0];
        let start = bar.ttl_left_ms(bar.start_us).unwrap();
        let later = bar.ttl_left_ms(bar.start_us + 4_000_000).unwrap();
        assert!((start - later - 4000.0).abs() < 0.01);
        assert!(bar.covers(bar.start_seq) && !bar.covers(bar.end_seq.unwrap()));
    }

    #[test]
    fn a_lock_released_by_del_ends_at_the_del() {
        let trace = story_trace("gc_pause_fenced");
        let bars = key_bars(&trace);
        assert!(!bars.bars.is_empty());
        for bar in &bars.bars {
            if let Some(end) = bar.end_seq {
                match &bar.ended {
                    Ended::Expired => {
                        assert!(
                            matches!(&trace.events[end].what, What::Expire { key } if *key == bar.key)
                        )
                    }
                    Ended::Removed { by } | Ended::Replaced { by } => {
                        assert!(
                            matches!(&trace.events[end].what, What::Exec { from, .. } if from == by)
                        )
                    }
                    Ended::Lost | Ended::RunEnd => {}
                }
            }
        }
    }

    #[test]
    fn seed_data_without_a_ttl_gets_no_bar() {
        assert!(key_bars(&story_trace("bank_transfer")).bars.is_empty());
    }
}
