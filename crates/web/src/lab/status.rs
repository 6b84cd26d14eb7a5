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
