//! "Next event of this kind / of this actor": the jumps a learner makes
//! instead of stepping through every event in between.

use std::mem::discriminant;

use lockstep_sim::trace::{Trace, What};

/// The nearest event after `step` (or before it, going back) that is of
/// the same kind as the event at `step` (a send, an expiry, a pause, ...).
pub fn same_kind(trace: &Trace, step: usize, forward: bool) -> Option<usize> {
    let here = discriminant(&trace.events.get(step)?.what);
    find(trace, step, forward, |e| discriminant(&e.what) == here)
}

/// The nearest event after (or before) `step` by the same actor.
pub fn same_actor(trace: &Trace, step: usize, forward: bool) -> Option<usize> {
    let actor = trace.events.get(step)?.actor.clone();
    find(trace, step, forward, |e| e.actor == actor)
}

fn find(
    trace: &Trace,
    step: usize,
    forward: bool,
    pick: impl Fn(&lockstep_sim::trace::Event) -> bool,
) -> Option<usize> {
    if forward {
        (step + 1..trace.events.len()).find(|&i| pick(&trace.events[i]))
    } else {
        (0..step).rev().find(|&i| pick(&trace.events[i]))
    }
}

/// Every event's neighbours of the same kind and of the same actor, found
/// once per run: the jump buttons are redrawn at every step, and scanning
/// for a rare kind (the run's only `start`) walks the whole run each time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Jumps {
    /// Per event: (previous, next) of its kind, then of its actor;
    /// `u32::MAX` when there is none.
    kind: Vec<(u32, u32)>,
    actor: Vec<(u32, u32)>,
}

const NONE: u32 = u32::MAX;

impl Jumps {
    pub fn new(trace: &Trace) -> Jumps {
        let kinds: Vec<_> = trace.events.iter().map(|e| discriminant(&e.what)).collect();
        let actors: Vec<&str> = trace.events.iter().map(|e| e.actor.as_str()).collect();
        Jumps {
            kind: neighbours(&kinds),
            actor: neighbours(&actors),
        }
    }

    /// [`same_kind`], read from the index.
    pub fn same_kind(&self, step: usize, forward: bool) -> Option<usize> {
        pick(self.kind.get(step)?, forward)
    }

    /// [`same_actor`], read from the index.
    pub fn same_actor(&self, step: usize, forward: bool) -> Option<usize> {
        pick(self.actor.get(step)?, forward)
    }
}

/// For each position, the previous and next positions with an equal key.
fn neighbours<K: Eq + std::hash::Hash + Copy>(keys: &[K]) -> Vec<(u32, u32)> {
    // Looked up by key, never iterated: the map's order cannot leak out.
    let mut last: std::collections::HashMap<K, u32> = std::collections::HashMap::new();
    let mut out = vec![(NONE, NONE); keys.len()];
    for (i, key) in keys.iter().enumerate() {
        if let Some(previous) = last.insert(*key, i as u32) {
            out[i].0 = previous;
            out[previous as usize].1 = i as u32;
        }
    }
    out
}

fn pick(&(previous, next): &(u32, u32), forward: bool) -> Option<usize> {
    let found = if forward { next } else { previous };
    (found != NONE).then_some(found as usize)
}

/// The kind of an event in a word or two, for the buttons.
pub fn kind_word(what: &What) -> &'static str {
    match what {
        What::Start { .. } => "start",
        What::Finish { .. } => "finish",
        What::Send { .. } => "send",
        What::Exec { .. } => "command",
        What::Receive { .. } => "reply",
        What::Drop { .. } => "loss",
        What::Timeout { .. } => "timeout",
        What::Expire { .. } => "expiry",
        What::ScriptStart { .. } => "script",
        What::Busy { .. } => "busy reply",
        What::Sleep { .. } => "sleep",
        What::Work { .. } => "work",
        What::Log { .. } => "log",
        What::Enter { .. } => "enter",
        What::Leave { .. } => "leave",
        What::Write { .. } => "write",
        What::Query { .. } => "query",
        What::Commit { .. } => "commit",
        What::Elected { .. } => "election",
        What::LeaseExpire { .. } => "lease expiry",
        What::Request { .. } => "request",
        What::Outcome { .. } => "outcome",
        What::Message { .. } => "message",
        What::Disconnect { .. } => "disconnect",
        What::Pause { .. } => "pause",
        What::Resume => "resume",
        What::Crash => "crash",
        What::Restart { .. } => "restart",
        What::Promote { .. } => "promotion",
        What::Replicate { .. } => "replication",
        What::Sync { .. } => "sync",
        What::Persist { .. } => "persist",
        What::Partition { .. } => "partition",
        What::Heal => "heal",
        What::ClockJump { .. } => "clock jump",
        What::ClockDrift { .. } => "clock drift",
        What::Delay { .. } => "delay",
        What::LoseOneWay { .. } => "one-way loss",
        What::LoseReply => "lost reply",
        What::Operator { .. } => "operator command",
        What::Deploy { .. } => "deploy",
        What::Violation { .. } => "violation",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    #[test]
    fn jumps_land_on_the_next_event_of_the_same_kind_or_actor() {
        let trace = story_trace("gc_pause_past_ttl");
        let sends: Vec<usize> = (0..trace.events.len())
            .filter(|&i| matches!(trace.events[i].what, What::Send { .. }))
            .collect();
        assert_eq!(same_kind(&trace, sends[0], true), Some(sends[1]));
        assert_eq!(same_kind(&trace, sends[1], false), Some(sends[0]));
        assert_eq!(same_kind(&trace, sends[0], false), None);
        let actor = &trace.events[sends[0]].actor;
        let next = same_actor(&trace, sends[0], true).unwrap();
        assert_eq!(&trace.events[next].actor, actor);
        assert!((sends[0] + 1..next).all(|i| &trace.events[i].actor != actor));
        assert_eq!(same_kind(&trace, 1_000_000, true), None);
        assert_eq!(kind_word(&trace.events[sends[0]].what), "send");
    }

    #[test]
    fn the_index_jumps_where_the_scan_does_at_every_step() {
        for story in ["gc_pause_past_ttl", "rolling_deploy_script_flush"] {
            let trace = story_trace(story);
            let jumps = Jumps::new(&trace);
            for step in 0..trace.events.len() + 2 {
                for forward in [false, true] {
                    assert_eq!(
                        jumps.same_kind(step, forward),
                        same_kind(&trace, step, forward),
                        "{story} step {step}"
                    );
                    assert_eq!(
                        jumps.same_actor(step, forward),
                        same_actor(&trace, step, forward),
                        "{story} step {step}"
                    );
                }
            }
        }
    }

    #[test]
    fn operator_commands_and_deploys_have_their_own_words_and_jumps() {
        let trace = story_trace("rolling_deploy_script_flush");
        let find = |word: &str| {
            (0..trace.events.len())
                .find(|&i| kind_word(&trace.events[i].what) == word)
                .unwrap_or_else(|| panic!("no {word} in the story"))
        };
        let (flush, deploy) = (find("operator command"), find("deploy"));
        assert_eq!(trace.events[flush].actor, "operator");
        assert_eq!(trace.events[deploy].actor, "app-1");
        assert_eq!(same_kind(&trace, flush, true), None, "one operator command");
        assert_eq!(same_kind(&trace, deploy, false), None, "one deploy");
    }
}
