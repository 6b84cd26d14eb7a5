//! The simulator's work, off the page's thread: the messages between the
//! lab and its web worker, and the worker's side of them ([`JobRunner`]).
//!
//! A run of the busy-script story takes over a second and "Break it" on it
//! several; on the page's thread that freezes scrolling, typing and
//! painting. So the page only sends [`Request`]s (the scenario's text and a
//! seed) and draws what comes back; the worker (the app's own module
//! started by `web/lockstep-worker.js`, see `worker_host`) parses, runs and
//! explores. Everything here is plain Rust so the
//! native tests drive the same runner in-process. Messages travel as JSON:
//! the trace is already serde.
//!
//! A search ("Break it", or grading a fix) may be split across several
//! workers, each running one share of it ([`super::split`]); the page
//! merges their answers.

use serde::{Deserialize, Serialize};

use lockstep_sim::trace::Trace;
use lockstep_sim::ScenarioError;

use lockstep_lessons::lesson::grade::FixStart;
use lockstep_lessons::lesson::Lesson;

use crate::learn::catalogue::Catalogue;
use crate::learn::player::Verdict;

use lockstep_sim::explore::{Coverage, Share, ShareState};

use super::explore::{BreakSetup, ExploreDriver, Outcome, ProgressView, Tick, PAGE_POLICY};

/// What the page asks of the worker. `id` ties the answers to the request:
/// the page ignores answers to requests it has moved on from.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub enum Request {
    /// Run a scenario (TOML) with a seed.
    Run { id: u64, text: String, seed: u64 },
    /// Search for a schedule of faults that breaks the scenario.
    Explore { id: u64, text: String, seed: u64 },
    /// Run share `share` of `of` of a search split across workers
    /// ([`super::split`]); it answers with `ShareProgress` and
    /// `ShareExplored`.
    ExploreShare {
        id: u64,
        text: String,
        seed: u64,
        share: u32,
        of: u32,
    },
    /// Stop that search; its coverage so far comes back as its outcome.
    Cancel { id: u64 },
    /// Run an interview follow-up of a lesson (by its `id`): the main
    /// scenario, or another of the lesson's, with the follow-up's changes.
    FollowUp {
        id: u64,
        lesson: String,
        index: usize,
    },
    /// Grade a "fix it" answer (question by index) with the explorer.
    GradeFix {
        id: u64,
        lesson: String,
        question: usize,
        source: String,
    },
    /// Grade share `share` of `of` of a "fix it" split across workers
    /// ([`crate::learn::fix_grading`]): `ShareProgress` and `ShareExplored`
    /// as for a search, or at once `FixGraded` when the fault-free run
    /// settles it (every share answers alike).
    GradeFixShare {
        id: u64,
        lesson: String,
        question: usize,
        source: String,
        share: u32,
        of: u32,
    },
    /// Run the scenario up to `step` and dump node `node`'s keys, for a
    /// console on that node at that step.
    Fork {
        id: u64,
        text: String,
        seed: u64,
        step: usize,
        node: String,
    },
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
    /// Progress of one share of a split search, with where it stands.
    ShareProgress {
        id: u64,
        share: u32,
        progress: ProgressView,
        found_at: Option<u64>,
        cleared: u64,
    },
    /// How one share of a split search ended; `coverage` when it found
    /// nothing, so the page can add the shares' counts up.
    ShareExplored {
        id: u64,
        share: u32,
        outcome: Box<Outcome>,
        found_at: Option<u64>,
        cleared: u64,
        coverage: Option<Coverage>,
    },
    /// The search could not start (the scenario does not run).
    ExploreFailed {
        id: u64,
        message: String,
    },
    /// A follow-up's verdicts by name (`mutual_exclusion(report)`).
    FollowedUp {
        id: u64,
        result: Result<Vec<(String, bool)>, String>,
    },
    FixGraded {
        id: u64,
        result: Result<Verdict, String>,
        /// For an answer that did not pass: the run that breaks it (the
        /// explorer's counterexample, or the fault-free run that failed).
        #[serde(default)]
        breaking: Option<Box<Trace>>,
    },
    Forked {
        id: u64,
        result: Result<super::fork::Forked, String>,
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

/// Runs a scenario's text with a seed: what a Run request does. The
/// error names the actor and field at fault; the page shows its sentence.
pub fn run_text(text: &str, seed: u64) -> Result<Trace, ScenarioError> {
    let scenario = lockstep_lessons::scenario(text)?;
    lockstep_sim::run(&scenario, seed)
}

/// Runs follow-up `index` of `lesson`'s interview: its verdicts by name.
pub fn run_follow_up(lesson: &Lesson, index: usize) -> Result<Vec<(String, bool)>, String> {
    let follow_up = lesson
        .interview
        .as_ref()
        .and_then(|i| i.follow_ups.get(index))
        .ok_or_else(|| format!("the lesson has no follow-up {}", index + 1))?;
    let scenario = lesson
        .scenario(&follow_up.scenario, &follow_up.change)
        .map_err(|e| e.message)?;
    let trace = lockstep_sim::run(&scenario, scenario.seed)?;
    Ok(lockstep_lessons::lesson::facts::verdicts(&trace))
}

/// Grades a "fix it" answer by running the explorer on it: the verdict,
/// and the run that breaks an answer that did not pass.
pub fn grade_fix(
    lesson: &Lesson,
    question: usize,
    source: &str,
) -> Result<(Verdict, Option<Box<Trace>>), String> {
    let question = lesson
        .questions
        .get(question)
        .ok_or("the lesson has no such question")?;
    lockstep_lessons::lesson::grade::grade_fix_with_run(lesson, question, source, None)
        .map(|(graded, run)| (Verdict::from(graded), run.map(Box::new)))
}

/// A lesson by its id, parsed from the embedded files.
fn lesson_by_id(id: &str) -> Result<std::rc::Rc<Lesson>, String> {
    Catalogue::load()
        .find(id)
        .map(|e| e.lesson.clone())
        .ok_or_else(|| format!("there is no lesson {id}"))
}

/// The worker's state: at most one search under way, fed one slice at a
/// time so that requests (a Cancel, a Run) are read between slices.
#[derive(Default)]
pub struct JobRunner {
    search: Option<(u64, ExploreDriver)>,
    /// The running search is share this of a split one.
    share: Option<u32>,
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
                result: run_text(&text, seed).map_err(String::from),
            }),
            Request::Explore { id, text, seed } => {
                self.start_search(id, &text, seed, Share::WHOLE, false, now_ms)
            }
            Request::ExploreShare {
                id,
                text,
                seed,
                share,
                of,
            } => match Share::new(share, of) {
                Ok(share) => self.start_search(id, &text, seed, share, true, now_ms),
                Err(message) => Some(Response::ExploreFailed { id, message }),
            },
            Request::Cancel { id } => {
                if let Some((search_id, driver)) = self.search.as_mut() {
                    if *search_id == id {
                        driver.cancel();
                    }
                }
                None
            }
            Request::FollowUp { id, lesson, index } => Some(Response::FollowedUp {
                id,
                result: lesson_by_id(&lesson).and_then(|l| run_follow_up(&l, index)),
            }),
            Request::GradeFix {
                id,
                lesson,
                question,
                source,
            } => {
                let graded = lesson_by_id(&lesson).and_then(|l| grade_fix(&l, question, &source));
                let (result, breaking) = match graded {
                    Ok((verdict, run)) => (Ok(verdict), run),
                    Err(message) => (Err(message), None),
                };
                Some(Response::FixGraded {
                    id,
                    result,
                    breaking,
                })
            }
            Request::GradeFixShare {
                id,
                lesson,
                question,
                source,
                share,
                of,
            } => self.start_grading(id, &lesson, question, &source, (share, of), now_ms),
            Request::Fork {
                id,
                text,
                seed,
                step,
                node,
            } => Some(Response::Forked {
                id,
                result: super::fork::fork_node(&text, seed, step, &node),
            }),
        }
    }

    /// Starts a search (or, `split`, a share of one), replacing any other:
    /// the page shows one.
    fn start_search(
        &mut self,
        id: u64,
        text: &str,
        seed: u64,
        share: Share,
        split: bool,
        now_ms: f64,
    ) -> Option<Response> {
        self.search = None;
        self.share = split.then_some(share.index());
        let started = lockstep_lessons::scenario(text)
            .map_err(|e| e.to_string())
            .and_then(|scenario| {
                let setup = BreakSetup::new(&scenario, PAGE_POLICY);
                ExploreDriver::start_share(&setup, seed, share, now_ms)
            });
        match started {
            Ok(driver) => {
                let answer = self.progress(id, &driver, driver.view(now_ms));
                self.search = Some((id, driver));
                Some(answer)
            }
            Err(message) => Some(Response::ExploreFailed { id, message }),
        }
    }

    /// Starts share `share` of grading a fix, replacing any other search;
    /// answers at once when the fault-free run settles the grade.
    fn start_grading(
        &mut self,
        id: u64,
        lesson: &str,
        question: usize,
        source: &str,
        (share, of): (u32, u32),
        now_ms: f64,
    ) -> Option<Response> {
        self.search = None;
        self.share = Some(share);
        let started = Share::new(share, of).and_then(|share| {
            let lesson = lesson_by_id(lesson)?;
            let question = lesson
                .questions
                .get(question)
                .ok_or_else(|| "the lesson has no such question".to_string())?;
            lockstep_lessons::lesson::grade::start_fix(&lesson, question, source, None, share)
        });
        match started {
            Ok(FixStart::Search(explorer)) => {
                let driver = ExploreDriver::from_explorer(*explorer, now_ms);
                let answer = self.progress(id, &driver, driver.view(now_ms));
                self.search = Some((id, driver));
                Some(answer)
            }
            Ok(FixStart::Decided(graded, run)) => Some(Response::FixGraded {
                id,
                result: Ok(Verdict::from(graded)),
                breaking: run,
            }),
            Err(message) => Some(Response::FixGraded {
                id,
                result: Err(message),
                breaking: None,
            }),
        }
    }

    fn progress(&self, id: u64, driver: &ExploreDriver, progress: ProgressView) -> Response {
        let ShareState { found_at, cleared } = driver.share_state();
        match self.share {
            None => Response::Progress { id, progress },
            Some(share) => Response::ShareProgress {
                id,
                share,
                progress,
                found_at,
                cleared,
            },
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
            Tick::Running(progress) => {
                let (_, driver) = self.search.as_ref()?;
                Some(self.progress(id, driver, progress))
            }
            Tick::Done(outcome) => {
                let (_, driver) = self.search.take()?;
                let ShareState { found_at, cleared } = driver.share_state();
                Some(match self.share {
                    None => Response::Explored { id, outcome },
                    Some(share) => Response::ShareExplored {
                        id,
                        share,
                        outcome,
                        found_at,
                        cleared,
                        coverage: driver.coverage().cloned(),
                    },
                })
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
    fn a_refused_run_names_the_actor_and_field_and_the_page_reads_its_sentence() {
        let text = story_text("gc_pause_past_ttl").replacen(
            "[[client]]",
            "[[client]]\ntimeout_ms = -5",
            1,
        );
        let error = run_text(&text, 1).unwrap_err();
        assert_eq!(error.kind, lockstep_sim::ErrorKind::BadValue);
        assert_eq!(error.field.as_deref(), Some("timeout_ms"));
        assert!(error.actor.is_some());
        let answer = JobRunner::new().handle(
            Request::Run {
                id: 3,
                text,
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
        assert_eq!(message, error.to_string());
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

    #[test]
    fn a_follow_up_and_a_fix_are_answered_for_a_lesson_by_id() {
        let mut runner = JobRunner::new();
        let lesson = "locks/gc-pause-past-the-ttl";
        let request = Request::FollowUp {
            id: 3,
            lesson: lesson.into(),
            index: 0,
        };
        let answer = runner.handle(Request::from_json(&request.to_json()).unwrap(), 0.0);
        let Some(Response::FollowedUp { id: 3, result }) = answer else {
            panic!("{answer:?}");
        };
        assert!(result
            .unwrap()
            .iter()
            .any(|(name, _)| name == "mutual_exclusion(report)"));
        let answer = runner.handle(
            Request::FollowUp {
                id: 4,
                lesson: "locks/no-such".into(),
                index: 0,
            },
            0.0,
        );
        assert!(matches!(
            answer,
            Some(Response::FollowedUp {
                id: 4,
                result: Err(_)
            })
        ));
        let answer = runner.handle(
            Request::GradeFix {
                id: 5,
                lesson: lesson.into(),
                question: 4,
                source: "if then".into(),
            },
            0.0,
        );
        let Some(Response::FixGraded { id: 5, result, .. }) = answer else {
            panic!("{answer:?}");
        };
        let verdict = result.unwrap();
        assert!(!verdict.passed);
        assert!(
            crate::learn::player::lua_error_line(&verdict.feedback[0]).is_some(),
            "{verdict:?}"
        );
    }
}
