//! The simulator's work, off the page's thread: the messages between the
//! lab and its web worker, and the worker's side of them ([`JobRunner`]).
//!
//! A run of the busy-script story takes over a second and "Break it" on it
//! several; on the page's thread that freezes scrolling, typing and
//! painting. So the page only sends [`Request`]s (the scenario's text and a
//! seed) and draws what comes back; the worker (`src/worker.rs`, a second
//! binary) parses, runs and explores. Everything here is plain Rust so the
//! native tests drive the same runner in-process. Messages travel as JSON:
//! the trace is already serde.
//!
//! One worker does all of it, the explorer included: its search is one
//! sequence (systematic, then random, then shrinking what it found), which
//! cannot be split between workers without changing what it finds.

use serde::{Deserialize, Serialize};

use lockstep_sim::trace::Trace;

use super::explore::{BreakSetup, ExploreDriver, Outcome, ProgressView, Tick, PAGE_POLICY};

/// What the page asks of the worker. `id` ties the answers to the request:
/// the page ignores answers to requests it has moved on from.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum Request {
    /// Run a scenario (TOML) with a seed.
    Run { id: u64, text: String, seed: u64 },
    /// Search for a schedule of faults that breaks the scenario.
    Explore { id: u64, text: String, seed: u64 },
    /// Stop that search; its coverage so far comes back as its outcome.
    Cancel { id: u64 },
}

/// What the worker answers.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum Response {
    /// The worker has started and listens: the page holds its requests
    /// until then (a module worker may not hear messages sent earlier).
    Ready,
    Ran {
        id: u64,
        result: Result<Trace, String>,
    },
    Progress {
        id: u64,
        progress: ProgressView,
    },
    Explored {
        id: u64,
        outcome: Box<Outcome>,
    },
    /// The search could not start (the scenario does not run).
    ExploreFailed {
        id: u64,
        message: String,
    },
}

impl Request {
    pub fn to_json(&self) -> String {
        // A request holds strings and numbers only: it always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Request, String> {
        serde_json::from_str(text).map_err(|e| format!("a request the worker cannot read: {e}"))
    }
}

impl Response {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Response, String> {
        serde_json::from_str(text).map_err(|e| format!("an answer the page cannot read: {e}"))
    }
}

/// Runs a scenario's text with a seed: what a Run request does.
pub fn run_text(text: &str, seed: u64) -> Result<Trace, String> {
    let scenario = lockstep_lessons::scenario(text).map_err(|e| e.to_string())?;
    lockstep_sim::run(&scenario, seed)
}

/// The worker's state: at most one search under way, fed one slice at a
/// time so that requests (a Cancel, a Run) are read between slices.
#[derive(Default)]
pub struct JobRunner {
    search: Option<(u64, ExploreDriver)>,
}

impl JobRunner {
    pub fn new() -> JobRunner {
        JobRunner::default()
    }

    /// Handles a request; a run answers at once, a search answers from
    /// [`JobRunner::tick`].
    pub fn handle(&mut self, request: Request, now_ms: f64) -> Option<Response> {
        match request {
            Request::Run { id, text, seed } => Some(Response::Ran {
                id,
                result: run_text(&text, seed),
            }),
            Request::Explore { id, text, seed } => {
                // A new search replaces any other: the page shows one.
                self.search = None;
                let started = lockstep_lessons::scenario(&text)
                    .map_err(|e| e.to_string())
                    .and_then(|scenario| {
                        ExploreDriver::start(&BreakSetup::new(&scenario, PAGE_POLICY), seed, now_ms)
                    });
                match started {
                    Ok(driver) => {
                        let progress = driver.view(now_ms);
                        self.search = Some((id, driver));
                        Some(Response::Progress { id, progress })
                    }
                    Err(message) => Some(Response::ExploreFailed { id, message }),
                }
            }
            Request::Cancel { id } => {
                if let Some((search_id, driver)) = self.search.as_mut() {
                    if *search_id == id {
                        driver.cancel();
                    }
                }
                None
            }
        }
    }

    /// True while a search wants more slices.
    pub fn busy(&self) -> bool {
        self.search.is_some()
    }

    /// Runs one slice of the search: its progress, or its outcome.
    pub fn tick(&mut self, now_ms: &mut dyn FnMut() -> f64) -> Option<Response> {
        let (id, driver) = self.search.as_mut()?;
        let id = *id;
        match driver.tick(now_ms) {
            Tick::Running(progress) => Some(Response::Progress { id, progress }),
            Tick::Done(outcome) => {
                self.search = None;
                Some(Response::Explored { id, outcome })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::lab::tests::story_text;

    fn clock() -> impl FnMut() -> f64 {
        let start = Instant::now();
        move || start.elapsed().as_secs_f64() * 1000.0
    }

    #[test]
    fn a_run_answers_with_the_trace_and_survives_the_trip_as_json() {
        let mut runner = JobRunner::new();
        let request = Request::Run {
            id: 7,
            text: story_text("gc_pause_past_ttl").into(),
            seed: 1,
        };
        let request = Request::from_json(&request.to_json()).unwrap();
        let answer = runner.handle(request, 0.0).unwrap();
        let Response::Ran { id, result } = Response::from_json(&answer.to_json()).unwrap() else {
            panic!("a run answers Ran");
        };
        assert_eq!(id, 7);
        assert_eq!(
            result.unwrap(),
            crate::lab::tests::story_trace("gc_pause_past_ttl")
        );
        assert!(!runner.busy());
    }

    #[test]
    fn a_scenario_that_does_not_parse_answers_with_why() {
        let mut runner = JobRunner::new();
        let answer = runner.handle(
            Request::Run {
                id: 1,
                text: "title = ".into(),
                seed: 1,
            },
            0.0,
        );
        let Some(Response::Ran {
            result: Err(message),
            ..
        }) = answer
        else {
            panic!("{answer:?}");
        };
        assert!(!message.is_empty());
        let answer = runner.handle(
            Request::Explore {
                id: 2,
                text: "title = ".into(),
                seed: 1,
            },
            0.0,
        );
        assert!(matches!(
            answer,
            Some(Response::ExploreFailed { id: 2, .. })
        ));
        assert!(!runner.busy());
    }

    #[test]
    fn a_search_reports_progress_then_its_outcome_and_can_be_cancelled() {
        let mut runner = JobRunner::new();
        let explore = |id| Request::Explore {
            id,
            text: story_text("restart_with_aof").into(),
            seed: 1,
        };
        let first = runner.handle(explore(1), 0.0);
        assert!(matches!(first, Some(Response::Progress { id: 1, .. })));
        assert!(runner.busy());
        // A cancel for another search changes nothing.
        assert!(runner.handle(Request::Cancel { id: 9 }, 0.0).is_none());
        let mut now = clock();
        assert!(matches!(
            runner.tick(&mut now),
            Some(Response::Progress { id: 1, .. }) | Some(Response::Explored { id: 1, .. })
        ));
        // A new search replaces the first; cancelling it ends it at once.
        runner.handle(explore(2), 0.0);
        runner.handle(Request::Cancel { id: 2 }, 0.0);
        let Some(Response::Explored { id: 2, outcome }) = runner.tick(&mut now) else {
            panic!("a cancelled search ends at its next slice");
        };
        assert!(matches!(
            *outcome,
            Outcome::Held {
                cancelled: true,
                ..
            }
        ));
        assert!(!runner.busy());
        assert!(runner.tick(&mut now).is_none());
    }
}
