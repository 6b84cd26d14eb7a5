//! What each actor is doing at a step — running, paused, down, busy with a
//! script, finished — which critical sections it is inside, how far its
//! clock is off, and how the network is split. Snapshots hold keys and
//! holders; this is read from the events themselves, in order.
//!
//! The timeline uses the same reading per row, so a paused client's lane
//! is shaded (and says it is still inside its section) even on rows where
//! it does nothing — which is exactly when a lock runs out under it.

use std::collections::BTreeMap;

use lockstep_sim::trace::{ActorKind, Event, Trace, What};

use super::timeline::ms;

/// What an actor is doing.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Activity {
    /// Not started yet, or nothing to say.
    #[default]
    Idle,
    Running,
    /// Paused (a GC pause, say) until this global time in µs.
    Paused {
        until_us: u64,
    },
    /// Crashed or killed.
    Down,
    /// A node running a script until this global time in µs.
    Busy {
        until_us: u64,
    },
    Finished,
    /// The program stopped with an error.
    Failed,
}

/// One actor at a step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActorStatus {
    pub name: String,
    pub client: bool,
    pub activity: Activity,
    /// Critical sections it is inside.
    pub inside: Vec<String>,
    /// Its clock minus global time, in ms, at its latest event.
    pub clock_offset_ms: f64,
}

impl ActorStatus {
    /// The activity in a few words, at global time `now_us`.
    pub fn describe(&self, now_us: u64) -> String {
        match self.activity {
            Activity::Idle => "idle".into(),
            Activity::Running => "running".into(),
            Activity::Paused { until_us } => format!("paused until {} ms", ms(until_us)),
            Activity::Down => "down".into(),
            Activity::Busy { until_us } if until_us > now_us => {
                format!("busy with a script until {} ms", ms(until_us))
            }
            Activity::Busy { .. } => "running".into(),
            Activity::Finished => "finished".into(),
            Activity::Failed => "stopped with an error".into(),
        }
    }

    /// A short mark for the actor's timeline lane, or `None` when there is
    /// nothing worth shading.
    pub fn lane_mark(&self, now_us: u64) -> Option<String> {
        let what = match self.activity {
            Activity::Paused { .. } => "paused",
            Activity::Down => "down",
            Activity::Busy { until_us } if until_us > now_us => "busy (script)",
            _ => return None,
        };
        Some(if self.inside.is_empty() {
            what.to_string()
        } else {
            format!("{what} \u{b7} inside {}", self.inside.join(", "))
        })
    }
}

/// The world's actors and network at one step.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub actors: Vec<ActorStatus>,
    /// The sides of the current partition; `None` when the network is whole.
    pub partition: Option<Vec<Vec<String>>>,
    pub now_us: u64,
}

/// Reads events in order and keeps [`Status`] up to date.
#[derive(Clone, Debug)]
pub struct Scanner {
    status: Status,
    index: BTreeMap<String, usize>,
}

impl Scanner {
    pub fn new(trace: &Trace) -> Scanner {
        let actors: Vec<ActorStatus> = trace
            .actors
            .iter()
            .filter(|a| matches!(a.kind, ActorKind::Client | ActorKind::Node))
            .map(|a| ActorStatus {
                name: a.name.clone(),
                client: a.kind == ActorKind::Client,
                activity: if a.kind == ActorKind::Node {
                    Activity::Running
                } else {
                    Activity::Idle
                },
                ..ActorStatus::default()
            })
            .collect();
        let index = actors
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.clone(), i))
            .collect();
        Scanner {
            status: Status {
                actors,
                ..Status::default()
            },
            index,
        }
    }

    pub fn status(&self) -> &Status {
        &self.status
    }

    pub fn apply(&mut self, event: &Event) {
        self.status.now_us = event.t_us;
        match &event.what {
            What::Partition { groups } => self.status.partition = Some(groups.clone()),
            What::Heal => self.status.partition = None,
            _ => {}
        }
        let Some(&i) = self.index.get(&event.actor) else {
            return;
        };
        let actor = &mut self.status.actors[i];
        actor.clock_offset_ms = event.local_ms - event.t_us as f64 / 1000.0;
        match &event.what {
            What::Start { task: 0 } => actor.activity = Activity::Running,
            What::Finish { task: 0, error } => {
                actor.activity = if error.is_some() {
                    Activity::Failed
                } else {
                    Activity::Finished
                };
                actor.inside.clear();
            }
            What::Pause { duration_ms } => {
                actor.activity = Activity::Paused {
                    until_us: event.t_us + (duration_ms * 1000.0).max(0.0) as u64,
                }
            }
            What::Resume | What::Restart { .. } => actor.activity = Activity::Running,
            What::Crash => {
                actor.activity = Activity::Down;
                actor.inside.clear();
            }
            What::ScriptStart { busy_until_us, .. } => {
                actor.activity = Activity::Busy {
                    until_us: *busy_until_us,
                }
            }
            What::Enter { name } if !actor.inside.contains(name) => {
                actor.inside.push(name.clone());
            }
            What::Leave { name } => actor.inside.retain(|n| n != name),
            _ => {}
        }
    }
}

/// The status after event `step`.
pub fn status_at(trace: &Trace, step: usize) -> Status {
    let mut scanner = Scanner::new(trace);
    for event in trace.events.iter().take(step.saturating_add(1)) {
        scanner.apply(event);
    }
    scanner.status
}

/// Events between two saved scanners in [`Checkpoints`]: a jump replays at
/// most this many events (a few hundred µs of work in the page).
pub const CHECKPOINT_EVERY: usize = 256;

/// The scanner saved every few events of one trace, read once when the
/// run is shown, so the status at any step replays only the events since
/// the nearest checkpoint instead of the whole run up to the step: a jump
/// to the end of a 100,000-event run costs what a jump in a short one does.
#[derive(Clone, Debug)]
pub struct Checkpoints {
    every: usize,
    /// `saved[k]`: the scanner before event `k * every`.
    saved: Vec<Scanner>,
}

impl Checkpoints {
    pub fn new(trace: &Trace) -> Checkpoints {
        Checkpoints::every(trace, CHECKPOINT_EVERY)
    }

    /// Checkpoints `every` events apart (at least one apart).
    pub fn every(trace: &Trace, every: usize) -> Checkpoints {
        let every = every.max(1);
        let mut scanner = Scanner::new(trace);
        let mut saved = vec![scanner.clone()];
        for (i, event) in trace.events.iter().enumerate() {
            scanner.apply(event);
            if (i + 1) % every == 0 {
                saved.push(scanner.clone());
            }
        }
        Checkpoints { every, saved }
    }

    /// The status after event `step` of `trace` (the trace these were made
    /// from); the same as [`status_at`].
    pub fn status_at(&self, trace: &Trace, step: usize) -> Status {
        let through = step.saturating_add(1).min(trace.events.len());
        let k = (through / self.every).min(self.saved.len().saturating_sub(1));
        let Some(saved) = self.saved.get(k) else {
            return status_at(trace, step);
        };
        let mut scanner = saved.clone();
        for event in &trace.events[k * self.every..through] {
            scanner.apply(event);
        }
        scanner.status
    }
}

/// For every event, each timeline column's lane mark (see
/// [`ActorStatus::lane_mark`]); `columns` are actor names.
pub fn lane_marks(trace: &Trace, columns: &[String]) -> Vec<Vec<Option<String>>> {
    let mut scanner = Scanner::new(trace);
    trace
        .events
        .iter()
        .map(|event| {
            scanner.apply(event);
            let status = scanner.status();
            columns
                .iter()
                .map(|name| {
                    status
                        .actors
                        .iter()
                        .find(|a| &a.name == name)
                        .and_then(|a| a.lane_mark(status.now_us))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    #[test]
    fn checkpoints_give_the_status_a_full_scan_gives_at_every_step() {
        for story in ["gc_pause_past_ttl", "redlock_partition", "busy_script"] {
            let trace = story_trace(story);
            let last = trace.events.len() - 1;
            // Spacings that put checkpoints on, before and after the ends.
            for every in [1, 7, CHECKPOINT_EVERY, last, last + 1, last + 50] {
                let checkpoints = Checkpoints::every(&trace, every);
                for step in (0..=last).chain([last + 1, usize::MAX]) {
                    assert_eq!(
                        checkpoints.status_at(&trace, step),
                        status_at(&trace, step),
                        "{story}, every {every}, step {step}"
                    );
                }
            }
        }
    }

    #[test]
    fn at_the_violation_the_paused_client_is_paused_and_still_inside() {
        let trace = story_trace("gc_pause_past_ttl");
        let violation = trace.first_violation().unwrap().at_seq.unwrap() as usize;
        let status = status_at(&trace, violation);
        let client_1 = status.actors.iter().find(|a| a.name == "client-1").unwrap();
        assert!(
            matches!(client_1.activity, Activity::Paused { .. }) || !client_1.inside.is_empty(),
            "{client_1:?}"
        );
        assert_eq!(client_1.inside, ["report"]);
        // Somewhere during the pause, the lane says so on a row where
        // client-1 itself does nothing.
        let columns: Vec<String> = trace.actors.iter().map(|a| a.name.clone()).collect();
        let marks = lane_marks(&trace, &columns);
        let column = columns.iter().position(|c| c == "client-1").unwrap();
        let paused_row = trace
            .events
            .iter()
            .position(|e| matches!(e.what, What::Pause { .. }) && e.actor == "client-1")
            .unwrap();
        let mark = marks[paused_row][column].as_deref().unwrap();
        assert_eq!(mark, "paused \u{b7} inside report");
        assert_eq!(marks.len(), trace.events.len());
    }

    #[test]
    fn the_busy_script_story_shows_a_node_busy_with_its_script() {
        let trace = story_trace("busy_script");
        let start = trace
            .events
            .iter()
            .find(|e| matches!(e.what, What::ScriptStart { .. }))
            .expect("the story runs a long script");
        let status = status_at(&trace, start.seq as usize);
        let node = status
            .actors
            .iter()
            .find(|a| a.name == start.actor)
            .unwrap();
        assert!(node
            .describe(status.now_us)
            .starts_with("busy with a script until"));
    }

    #[test]
    fn a_partition_shows_until_healed() {
        let trace = story_trace("redlock_partition");
        let Some(cut) = trace
            .events
            .iter()
            .position(|e| matches!(e.what, What::Partition { .. }))
        else {
            panic!("the story partitions the network");
        };
        assert!(status_at(&trace, cut).partition.is_some());
        if cut > 0 {
            assert!(status_at(&trace, cut - 1).partition.is_none());
        }
        if let Some(heal) = trace
            .events
            .iter()
            .position(|e| matches!(e.what, What::Heal))
        {
            assert!(status_at(&trace, heal).partition.is_none());
        }
    }
}
