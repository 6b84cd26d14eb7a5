//! The scenario lab's state: which story, the editor's text, the run on
//! show, the step, the explorer — everything the page draws, and every
//! action a visitor can take, as plain methods the tests can call.
//!
//! Bad input never costs anything: a scenario that does not parse or run
//! leaves the previous run on show and says why next to the editor; a link
//! that cannot be followed falls back to something sensible and says what
//! it could not use.
//!
//! The lab never runs the simulator itself: runs and searches are
//! [`Request`]s the page hands to its web worker ([`Lab::take_requests`]),
//! and the worker's answers come back through [`Lab::receive`]. Until an
//! answer arrives the previous run stays on show.

use std::rc::Rc;

use lockstep_sim::trace::Trace;

use super::edits::Edit;
use super::explore::{BreakSetup, Outcome, ProgressView, Stats};
use super::jobs::{Request, Response};
use super::link::{self, DeepLink};
use super::status::{self, Status};
use super::stories::{self, Story};
use super::timeline::TimelineView;
use super::verdicts::{self, VerdictRow};
use super::world::{self, WorldView};

/// A run on show, with everything drawn from it computed once.
#[derive(Clone, Debug)]
pub struct Shown {
    pub trace: Rc<Trace>,
    pub timeline: Rc<TimelineView>,
    pub verdicts: Vec<VerdictRow>,
    /// Client programs that stopped with a Lua error: said before verdicts.
    pub program_errors: Vec<verdicts::ProgramError>,
    pub stopped: String,
    pub sections: Vec<String>,
    pub source: Source,
    /// The scenario that was run (or explored), as the editor held it.
    pub text: Rc<str>,
    /// Per event, per timeline column: what shades that actor's lane
    /// (paused, down, busy), see [`status::lane_marks`].
    pub lanes: Rc<Vec<Vec<Option<String>>>>,
    /// Saved scanners, so the status at a step never replays the whole run.
    pub status_checkpoints: Rc<status::Checkpoints>,
}

/// Where the run on show came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The scenario in the editor, with its own faults.
    Story { seed: u64, edited: bool },
    /// The explorer's shortest counterexample.
    Counterexample {
        /// The seed the search started from (what a link needs).
        explore_seed: u64,
        edited: bool,
        /// The seed of the failing run itself.
        run_seed: u64,
        faults: Vec<String>,
    },
}

impl Shown {
    fn new(trace: Trace, source: Source, text: Rc<str>) -> Shown {
        let timeline = TimelineView::new(&trace);
        let columns: Vec<String> = timeline.columns.iter().map(|c| c.name.clone()).collect();
        Shown {
            text,
            lanes: Rc::new(status::lane_marks(&trace, &columns)),
            timeline: Rc::new(timeline),
            verdicts: verdicts::verdict_rows(&trace),
            program_errors: verdicts::program_errors(&trace),
            stopped: verdicts::stopped(&trace),
            sections: world::section_names(&trace),
            status_checkpoints: Rc::new(status::Checkpoints::new(&trace)),
            trace: Rc::new(trace),
            source,
        }
    }

    /// The last step's index.
    pub fn last(&self) -> usize {
        self.trace.events.len().saturating_sub(1)
    }
}

/// A search under way.
pub struct Breaking {
    id: u64,
    text: Rc<str>,
    pub setup: BreakSetup,
    seed: u64,
    edited: bool,
    pub progress: ProgressView,
    /// Cancel was asked for; the worker reports the coverage next.
    pub cancelling: bool,
}

/// A run asked of the worker and not answered yet.
struct RunJob {
    id: u64,
    text: Rc<str>,
    source: Source,
    /// The run was opened from a link: the step it names and what could
    /// not be followed so far (a step past the end is only known after).
    link: Option<(Option<u64>, Vec<String>)>,
}

/// What the last search said, kept on show until the next one.
#[derive(Clone, Debug, PartialEq)]
pub enum BreakReport {
    Broken {
        faults: Vec<String>,
        run_seed: u64,
        found_after: u64,
        shrink_runs: u64,
        stats: Stats,
        removed: Vec<String>,
    },
    Held {
        statement: String,
        cancelled: bool,
        stats: Stats,
        removed: Vec<String>,
    },
    /// The search could not start (the scenario does not run).
    Failed(String),
}

pub struct Lab {
    stories: Vec<Story>,
    story: usize,
    text: String,
    seed: u64,
    shown: Option<Shown>,
    step: usize,
    editor_error: Option<String>,
    notice: Option<String>,
    breaking: Option<Breaking>,
    report: Option<BreakReport>,
    /// A linked step to show once a linked search ends.
    pending_step: Option<u64>,
    /// Bumped whenever the lab itself replaces the editor's text or seed
    /// (a story picked, a link opened, a revert), so the page knows to
    /// write them into its inputs; typing does not bump it.
    inputs_version: u64,
    /// The run asked for and not answered yet.
    running: Option<RunJob>,
    /// Requests for the worker, in order, until the page takes them.
    outbox: Vec<Request>,
    /// The last request id handed out.
    last_id: u64,
    /// Runs shown so far, so the page can say that a new one arrived.
    runs_shown: u64,
    /// The worker failed; the page starts a new one before the next request.
    worker_lost: bool,
    /// The verdicts of the run on show may be seen: the learner has
    /// stepped to its end or asked for them. Until then they would give
    /// away what the timeline is there to show.
    verdicts_revealed: bool,
}

impl Default for Lab {
    fn default() -> Lab {
        Lab::new()
    }
}

impl Lab {
    /// The lab on its default story at the first step, its run asked of
    /// the worker (see [`Lab::take_requests`]).
    pub fn new() -> Lab {
        let stories = stories::catalogue();
        let story = stories::default_index(&stories);
        let mut lab = Lab {
            text: stories
                .get(story)
                .map(|s| s.text.to_string())
                .unwrap_or_default(),
            seed: stories.get(story).map_or(1, |s| s.seed),
            stories,
            story,
            shown: None,
            step: 0,
            editor_error: None,
            notice: None,
            breaking: None,
            report: None,
            pending_step: None,
            inputs_version: 0,
            running: None,
            outbox: Vec::new(),
            last_id: 0,
            runs_shown: 0,
            worker_lost: false,
            verdicts_revealed: false,
        };
        lab.run();
        lab
    }

    // --- what the page reads -------------------------------------------

    pub fn stories(&self) -> &[Story] {
        &self.stories
    }

    pub fn story_index(&self) -> usize {
        self.story
    }

    pub fn story(&self) -> Option<&Story> {
        self.stories.get(self.story)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Changes whenever the lab, not the visitor, set the text or seed.
    pub fn inputs_version(&self) -> u64 {
        self.inputs_version
    }

    /// The editor differs from the story as shipped.
    pub fn edited(&self) -> bool {
        self.story().is_some_and(|s| s.text != self.text)
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn shown(&self) -> Option<&Shown> {
        self.shown.as_ref()
    }

    pub fn step(&self) -> usize {
        self.step
    }

    pub fn editor_error(&self) -> Option<&str> {
        self.editor_error.as_deref()
    }

    /// A message about a link that could not be followed exactly.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }

    pub fn breaking(&self) -> Option<&Breaking> {
        self.breaking.as_ref()
    }

    pub fn report(&self) -> Option<&BreakReport> {
        self.report.as_ref()
    }

    /// A run has been asked for and its answer has not come yet.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The verdicts may be shown (see [`Lab::reveal_verdicts`]).
    pub fn verdicts_revealed(&self) -> bool {
        self.verdicts_revealed
    }

    /// The learner asks to see the verdicts before reaching the end.
    pub fn reveal_verdicts(&mut self) {
        self.verdicts_revealed = true;
    }

    /// How many runs have been shown: changes each time one arrives.
    pub fn runs_shown(&self) -> u64 {
        self.runs_shown
    }

    /// The world at the current step.
    pub fn world(&self) -> Option<WorldView> {
        let shown = self.shown.as_ref()?;
        Some(world::world_at(&shown.trace, &shown.sections, self.step))
    }

    /// What each actor is doing at the current step, and the network.
    pub fn status(&self) -> Option<Status> {
        let shown = self.shown.as_ref()?;
        Some(shown.status_checkpoints.status_at(&shown.trace, self.step))
    }

    /// The address hash that reproduces this view; none while a run is on
    /// its way. Until it arrives the view mixes the new story's name with
    /// the old run, and writing that into the address would overwrite a
    /// link the visitor has just pasted before the page reads it.
    pub fn hash(&self) -> Option<String> {
        if self.running.is_some() {
            return None;
        }
        let shown = self.shown.as_ref()?;
        let (seed, explore) = match &shown.source {
            Source::Story { seed, .. } => (*seed, false),
            Source::Counterexample { explore_seed, .. } => (*explore_seed, true),
        };
        Some(link::format(&DeepLink {
            story: self.story().map(|s| s.name.to_string()),
            seed: Some(seed),
            step: Some(self.step as u64),
            explore,
            edit: self
                .story()
                .filter(|story| *story.text != *shown.text)
                .map(|story| Edit::between(story.text, &shown.text)),
        }))
    }

    /// Said next to an edited run: its link carries the edits.
    pub fn link_caveat(&self) -> Option<&'static str> {
        let edited = match &self.shown.as_ref()?.source {
            Source::Story { edited, .. } | Source::Counterexample { edited, .. } => *edited,
        };
        edited.then_some("The page's link carries your edits: it reopens this version.")
    }

    // --- what a visitor does -------------------------------------------

    /// Picks a story: its TOML goes into the editor and it runs with its
    /// own seed, from the first step.
    pub fn select_story(&mut self, index: usize) {
        let Some(story) = self.stories.get(index) else {
            return;
        };
        self.story = index;
        self.text = story.text.to_string();
        self.seed = story.seed;
        self.inputs_version += 1;
        self.notice = None;
        self.report = None;
        self.step = 0;
        self.run();
    }

    pub fn set_text(&mut self, text: String) {
        self.text = text;
    }

    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Puts the story as shipped back into the editor and runs it.
    pub fn revert(&mut self) {
        if let Some(story) = self.story() {
            self.text = story.text.to_string();
            self.inputs_version += 1;
            // The story's own text runs: its run is asked of the worker,
            // and the edit's error goes at once rather than when it answers.
            self.editor_error = None;
            self.run();
        }
    }

    /// Runs the editor's scenario with the seed. A scenario that does not
    /// parse is reported next to the editor at once (false); otherwise the
    /// run is asked of the worker (true), and when it arrives it is shown
    /// at the same step, if it has one, or its error next to the editor.
    /// Either way the previous run stays on show until then.
    pub fn run(&mut self) -> bool {
        self.run_linked(None)
    }

    fn run_linked(&mut self, link: Option<(Option<u64>, Vec<String>)>) -> bool {
        self.stop_break();
        if let Err(e) = lockstep_lessons::scenario(&self.text) {
            self.editor_error = Some(e.to_string());
            self.running = None;
            if let Some((_, problems)) = link {
                self.notice = self.describe_problems(&problems);
            }
            return false;
        }
        let id = self.next_id();
        self.outbox.push(Request::Run {
            id,
            text: self.text.clone(),
            seed: self.seed,
        });
        self.running = Some(RunJob {
            id,
            text: self.text.as_str().into(),
            source: Source::Story {
                seed: self.seed,
                edited: self.edited(),
            },
            link,
        });
        true
    }

    fn next_id(&mut self) -> u64 {
        self.last_id += 1;
        self.last_id
    }

    /// The requests for the worker since the last call, in order.
    pub fn take_requests(&mut self) -> Vec<Request> {
        std::mem::take(&mut self.outbox)
    }

    /// Takes in an answer from the worker. Answers to requests the lab has
    /// moved on from (a run replaced by a newer one, a search stopped) are
    /// ignored.
    pub fn receive(&mut self, response: Response) {
        match response {
            Response::Ready => {}
            Response::Ran { id, result } => {
                if self.running.as_ref().is_none_or(|job| job.id != id) {
                    return;
                }
                if let Some(job) = self.running.take() {
                    self.finish_run(job, result);
                }
            }
            Response::Progress { id, progress } => {
                if let Some(breaking) = self.breaking.as_mut().filter(|b| b.id == id) {
                    breaking.progress = progress;
                }
            }
            Response::Explored { id, outcome } => {
                if self.breaking.as_ref().is_some_and(|b| b.id == id) {
                    if let Some(breaking) = self.breaking.take() {
                        self.finish_break(breaking, *outcome);
                    }
                }
            }
            // A lesson's follow-ups and fixes: the player's, not the lab's.
            Response::FollowedUp { .. } | Response::FixGraded { .. } | Response::Forked { .. } => {}
            Response::ShareProgress { .. } | Response::ShareExplored { .. } => {}
            Response::ExploreFailed { id, message } => {
                if self.breaking.as_ref().is_some_and(|b| b.id == id) {
                    self.breaking = None;
                    self.pending_step = None;
                    self.report = Some(BreakReport::Failed(message));
                }
            }
        }
    }

    /// The worker failed (it did not load, or a run crashed it): what it
    /// was doing is reported as lost, and the next request goes to a new
    /// worker.
    pub fn worker_failed(&mut self, message: &str) {
        let run = self.running.take().is_some();
        let search = self.breaking.take().is_some();
        let lost = match (run, search) {
            (true, true) => " The run and the search under way were lost.",
            (true, false) => " The run under way was lost.",
            (false, true) => " The search under way was lost.",
            (false, false) => "",
        };
        self.pending_step = None;
        self.worker_lost = true;
        self.editor_error = Some(format!(
            "The simulator stopped: {message}.{lost} Run again to start it anew."
        ));
    }

    /// True once after [`Lab::worker_failed`]: the page starts a new worker.
    pub fn take_worker_lost(&mut self) -> bool {
        std::mem::take(&mut self.worker_lost)
    }

    fn finish_run(&mut self, job: RunJob, result: Result<Trace, String>) {
        match result {
            Ok(trace) => {
                // What a search found was about the run it showed.
                self.report = None;
                self.show(Shown::new(trace, job.source, job.text), None);
                self.editor_error = None;
                if let Some((step, mut problems)) = job.link {
                    if let Some(step) = step {
                        self.go_linked(step, &mut problems);
                    }
                    self.notice = self.describe_problems(&problems);
                }
            }
            Err(message) => {
                self.editor_error = Some(message);
                if let Some((_, problems)) = job.link {
                    self.notice = self.describe_problems(&problems);
                }
            }
        }
    }

    /// Shows `shown` at `step`, or at the current step if it exists there.
    fn show(&mut self, shown: Shown, step: Option<usize>) {
        self.step = step.unwrap_or(self.step).min(shown.last());
        // A counterexample comes with its verdict already said ("Broken").
        self.verdicts_revealed =
            matches!(shown.source, Source::Counterexample { .. }) || self.step == shown.last();
        self.shown = Some(shown);
        self.runs_shown += 1;
    }

    /// Shows a run found elsewhere — the counterexample that breaks a
    /// "fix it" answer — as a counterexample of the scenario on show, at
    /// `step`. A run under way is dropped (its answer will be ignored).
    pub fn show_found(&mut self, trace: Trace, step: usize) {
        self.running = None;
        self.report = None;
        let source = Source::Counterexample {
            explore_seed: self.seed,
            edited: self.edited(),
            run_seed: trace.seed,
            faults: Vec::new(),
        };
        let text: Rc<str> = self.text.as_str().into();
        self.show(Shown::new(trace, source, text), Some(step));
    }

    /// Moves to `step`, clamped to the run.
    pub fn go(&mut self, step: usize) {
        if let Some(shown) = &self.shown {
            self.step = step.min(shown.last());
            if self.step == shown.last() {
                self.verdicts_revealed = true;
            }
        }
    }

    pub fn first(&mut self) {
        self.go(0);
    }

    pub fn prev(&mut self) {
        self.go(self.step.saturating_sub(1));
    }

    pub fn next(&mut self) {
        self.go(self.step + 1);
    }

    pub fn last(&mut self) {
        self.go(usize::MAX);
    }

    /// Goes to the first failure (violation, or failed liveness check), if
    /// the run has one.
    pub fn go_to_violation(&mut self) -> bool {
        let seq = self
            .shown
            .as_ref()
            .and_then(|s| verdicts::first_failure(&s.trace));
        match seq {
            Some(seq) => {
                self.go(seq as usize);
                true
            }
            None => false,
        }
    }

    pub fn dismiss_notice(&mut self) {
        self.notice = None;
    }

    // --- links -----------------------------------------------------------

    /// Opens the view a link names. Whatever the link holds, the lab ends up
    /// showing a run, and [`Lab::notice`] says what could not be followed.
    /// An empty hash changes nothing.
    pub fn open_link(&mut self, hash: &str, now_ms: f64) {
        let parsed = link::parse(hash);
        let mut problems = parsed.problems;
        let wanted = parsed.link;
        if wanted == DeepLink::default() && problems.is_empty() {
            return;
        }
        self.stop_break();
        self.report = None;
        let index = match &wanted.story {
            Some(name) => stories::find(&self.stories, name).unwrap_or_else(|| {
                problems.push(format!("there is no story \u{201c}{name}\u{201d}"));
                stories::default_index(&self.stories)
            }),
            None => self.story,
        };
        if let Some(story) = self.stories.get(index) {
            self.story = index;
            self.text = story.text.to_string();
            self.seed = wanted.seed.unwrap_or(story.seed);
            if let Some(edit) = &wanted.edit {
                // Only edits that still make a scenario are taken.
                let edited = edit.apply(story.text).and_then(|text| {
                    lockstep_lessons::scenario(&text)
                        .map(|_| text)
                        .map_err(|e| e.to_string())
                });
                match edited {
                    Ok(text) => self.text = text,
                    Err(why) => problems.push(format!(
                        "its edits do not apply to this story ({why}), so it is shown as published"
                    )),
                }
            }
        }
        self.inputs_version += 1;
        self.step = 0;
        self.editor_error = None;
        self.notice = None;
        if wanted.explore {
            self.run_linked(Some((None, problems)));
            self.pending_step = wanted.step;
            self.start_break(now_ms);
        } else {
            self.run_linked(Some((wanted.step, problems)));
        }
    }

    /// Goes to a linked step, saying so when the run has no such step.
    fn go_linked(&mut self, step: u64, problems: &mut Vec<String>) {
        let Some(last) = self.shown.as_ref().map(Shown::last) else {
            return;
        };
        if step > last as u64 {
            problems.push(format!(
                "step {step} is past the end of this run (its steps are 0 to {last})"
            ));
            self.go(last);
        } else {
            self.go(step as usize);
        }
    }

    fn describe_problems(&self, problems: &[String]) -> Option<String> {
        if problems.is_empty() {
            return None;
        }
        let title = self.story().map_or("", |s| s.title.as_str());
        Some(format!(
            "This link could not be followed exactly: {}. Showing \u{201c}{title}\u{201d} \
             (seed {}) at step {} instead.",
            problems.join("; "),
            self.seed,
            self.step
        ))
    }

    // --- breaking it -----------------------------------------------------

    /// Starts the explorer on the editor's scenario, its own faults taken
    /// out: asks the worker, whose progress and outcome come back through
    /// [`Lab::receive`].
    pub fn start_break(&mut self, _now_ms: f64) {
        self.stop_search();
        let scenario = match lockstep_lessons::scenario(&self.text) {
            Ok(scenario) => scenario,
            Err(e) => {
                self.editor_error = Some(e.to_string());
                return;
            }
        };
        let id = self.next_id();
        self.outbox.push(Request::Explore {
            id,
            text: self.text.clone(),
            seed: self.seed,
        });
        self.report = None;
        self.breaking = Some(Breaking {
            id,
            text: self.text.as_str().into(),
            setup: BreakSetup::new(&scenario, super::explore::PAGE_POLICY),
            seed: self.seed,
            edited: self.edited(),
            progress: ProgressView {
                tried: 0,
                struck: 0,
                planned: 0,
                fraction: 0.0,
                per_second: 0.0,
                phase: "starting".into(),
            },
            cancelling: false,
        });
    }

    /// Cancels the search; the worker reports its coverage so far.
    pub fn cancel_break(&mut self) {
        if let Some(breaking) = self.breaking.as_mut().filter(|b| !b.cancelling) {
            breaking.cancelling = true;
            self.outbox.push(Request::Cancel { id: breaking.id });
        }
    }

    /// Drops a search without a report (a new run replaces it).
    fn stop_break(&mut self) {
        self.stop_search();
        self.pending_step = None;
    }

    /// Tells the worker to stop the search on show, and forgets it.
    fn stop_search(&mut self) {
        if let Some(breaking) = self.breaking.take() {
            self.outbox.push(Request::Cancel { id: breaking.id });
        }
    }

    fn finish_break(&mut self, breaking: Breaking, outcome: Outcome) {
        let removed = breaking.setup.removed.clone();
        let pending = self.pending_step.take();
        match outcome {
            Outcome::Broken {
                faults,
                seed,
                trace,
                found_after,
                shrink_runs,
                stats,
            } => {
                let violation = verdicts::first_failure(&trace).map(|s| s as usize);
                let source = Source::Counterexample {
                    explore_seed: breaking.seed,
                    edited: breaking.edited,
                    run_seed: seed,
                    faults: faults.clone(),
                };
                self.show(
                    Shown::new(trace, source, breaking.text.clone()),
                    Some(violation.unwrap_or(0)),
                );
                if let Some(step) = pending {
                    let mut problems = Vec::new();
                    self.go_linked(step, &mut problems);
                    self.notice = self.describe_problems(&problems);
                }
                self.report = Some(BreakReport::Broken {
                    faults,
                    run_seed: seed,
                    found_after,
                    shrink_runs,
                    stats,
                    removed,
                });
            }
            Outcome::Held {
                statement,
                cancelled,
                stats,
            } => {
                if pending.is_some() {
                    self.notice = Some(
                        "This link shows what the explorer found, but this time it found \
                         nothing: showing the story as written."
                            .into(),
                    );
                }
                self.report = Some(BreakReport::Held {
                    statement,
                    cancelled,
                    stats,
                    removed,
                });
            }
        }
    }

    /// Leaves the counterexample: runs the editor's scenario again.
    pub fn back_to_story(&mut self) {
        self.report = None;
        self.run();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::{ready, settle};

    #[test]
    fn a_new_lab_shows_the_gc_pause_story_at_step_0() {
        let lab = ready();
        assert_eq!(lab.story().unwrap().name, "gc_pause_past_ttl");
        assert_eq!(lab.step(), 0);
        assert!(!lab.edited());
        let shown = lab.shown().unwrap();
        assert_eq!(
            shown.source,
            Source::Story {
                seed: 1,
                edited: false
            }
        );
        assert_eq!(
            lab.hash().as_deref(),
            Some("#story=gc_pause_past_ttl&seed=1&step=0")
        );
        assert_eq!(lab.notice(), None);
    }

    #[test]
    fn verdicts_wait_until_the_end_or_until_asked() {
        let mut lab = ready();
        assert!(
            !lab.verdicts_revealed(),
            "a new run keeps its verdicts back"
        );
        lab.next();
        assert!(!lab.verdicts_revealed());
        lab.last();
        assert!(lab.verdicts_revealed(), "the end of the run shows them");
        lab.first();
        assert!(lab.verdicts_revealed(), "once seen they stay");
        let runs = lab.runs_shown();
        assert!(lab.run());
        settle(&mut lab);
        assert_eq!(lab.runs_shown(), runs + 1, "a new run arrived");
        assert!(!lab.verdicts_revealed(), "a new run keeps its own back");
        lab.reveal_verdicts();
        assert!(lab.verdicts_revealed());
    }

    #[test]
    fn stepping_stays_inside_the_run() {
        let mut lab = ready();
        lab.prev();
        assert_eq!(lab.step(), 0);
        lab.next();
        lab.next();
        assert_eq!(lab.step(), 2);
        lab.last();
        let last = lab.shown().unwrap().last();
        assert_eq!(lab.step(), last);
        lab.next();
        assert_eq!(lab.step(), last);
        lab.first();
        assert_eq!(lab.step(), 0);
        assert!(lab.go_to_violation());
        // The violation's step, as the run's own trace has it.
        let violation = lab
            .shown()
            .unwrap()
            .trace
            .first_violation()
            .and_then(|v| v.at_seq)
            .unwrap();
        assert_eq!(lab.step() as u64, violation);
        assert_eq!(
            lab.hash(),
            Some(format!("#story=gc_pause_past_ttl&seed=1&step={violation}"))
        );
    }

    #[test]
    fn bad_toml_keeps_the_previous_run_and_says_where() {
        let mut lab = ready();
        lab.go(50);
        let before = lab.shown().unwrap().trace.clone();
        lab.set_text("title = \"broken\"\n[[node]\nname = 1".into());
        assert!(!lab.run());
        let error = lab.editor_error().unwrap();
        assert!(error.contains("line 2"), "{error}");
        assert!(Rc::ptr_eq(&lab.shown().unwrap().trace, &before));
        assert_eq!(lab.step(), 50);
        assert_eq!(lab.text(), "title = \"broken\"\n[[node]\nname = 1");
    }

    #[test]
    fn an_invalid_scenario_names_what_is_wrong() {
        let mut lab = ready();
        let text = lab
            .text()
            .replace("target = \"client-1\"", "target = \"client-9\"");
        lab.set_text(text);
        assert!(lab.edited());
        assert!(!lab.run());
        assert!(lab.editor_error().unwrap().contains("client-9"));
        lab.revert();
        // Gone at once: the story's own text is known to run.
        assert_eq!(lab.editor_error(), None);
        settle(&mut lab);
        assert_eq!(lab.editor_error(), None);
        assert!(!lab.edited());
    }

    #[test]
    fn an_edited_run_says_the_link_cannot_carry_the_edits() {
        let mut lab = ready();
        assert_eq!(lab.link_caveat(), None);
        let text = lab
            .text()
            .replace("duration_ms = 15000", "duration_ms = 5000");
        lab.set_text(text.clone());
        assert!(lab.run());
        settle(&mut lab);
        assert!(lab.link_caveat().is_some());
        assert!(lab.shown().unwrap().trace.first_violation().is_none());

        // The link carries the edit: opened afresh (a reload), it shows the
        // edited run again.
        let hash = lab.hash().unwrap();
        assert!(hash.contains("&edit="), "{hash}");
        assert!(hash.len() < 80, "only the changed stretch: {hash}");
        let mut other = ready();
        other.open_link(&hash, 0.0);
        settle(&mut other);
        assert_eq!(other.notice(), None);
        assert_eq!(other.text(), text);
        assert!(other.edited());
        assert_eq!(other.shown().unwrap().trace, lab.shown().unwrap().trace);
        assert_eq!(other.hash().unwrap(), hash);

        // A forged edit falls back to the story as published, and says so.
        let forged = hash.replace("&edit=", "&edit=99999");
        other.open_link(&forged, 0.0);
        settle(&mut other);
        assert!(!other.edited());
        let notice = other.notice().unwrap();
        assert!(notice.contains("its edits do not apply"), "{notice}");
        // An edit that breaks the TOML is refused too.
        let broken = Edit::between(lab.story().unwrap().text, "title = ");
        other.open_link(
            &format!("#story=gc_pause_past_ttl&edit={}", broken.encode()),
            0.0,
        );
        settle(&mut other);
        assert!(!other.edited());
        assert!(other.notice().unwrap().contains("its edits do not apply"));
    }

    #[test]
    fn a_seed_changes_the_run_and_the_link() {
        let mut lab = ready();
        lab.set_seed(7);
        assert!(lab.run());
        settle(&mut lab);
        assert_eq!(lab.shown().unwrap().trace.seed, 7);
        assert!(lab.hash().unwrap().contains("seed=7"));
    }

    #[test]
    fn a_link_opens_its_story_seed_and_step() {
        let mut lab = ready();
        lab.open_link("#story=clock_jump&seed=3&step=12", 0.0);
        settle(&mut lab);
        assert_eq!(lab.story().unwrap().name, "clock_jump");
        assert_eq!(lab.seed(), 3);
        assert_eq!(lab.step(), 12);
        assert_eq!(lab.notice(), None);
        assert_eq!(lab.hash().unwrap(), "#story=clock_jump&seed=3&step=12");
    }

    #[test]
    fn no_link_is_offered_while_a_picked_story_is_still_running() {
        // The page writes `hash()` into the address after each render; a
        // half-switched view (new story, old run) would overwrite a link
        // pasted right after a pick, before the page reads it.
        let mut lab = ready();
        lab.select_story(stories::find(lab.stories(), "bank_transfer").unwrap());
        assert_eq!(lab.hash(), None);
        lab.open_link("#story=clock_jump&seed=1&step=10", 0.0);
        assert_eq!(lab.hash(), None);
        settle(&mut lab);
        assert_eq!(lab.hash().unwrap(), "#story=clock_jump&seed=1&step=10");
    }

    #[test]
    fn a_forged_link_falls_back_and_says_why() {
        let mut lab = ready();
        lab.open_link("#story=no_such_story&step=40", 0.0);
        settle(&mut lab);
        assert_eq!(lab.story().unwrap().name, "gc_pause_past_ttl");
        assert_eq!(lab.step(), 40);
        let notice = lab.notice().unwrap();
        assert!(
            notice.contains("there is no story \u{201c}no_such_story\u{201d}"),
            "{notice}"
        );
        assert!(
            notice.contains("A GC pause outlives the lock's TTL"),
            "{notice}"
        );

        lab.open_link("#story=gc_pause_past_ttl&step=99999", 0.0);
        settle(&mut lab);
        let last = lab.shown().unwrap().last();
        assert_eq!(lab.step(), last);
        assert!(lab.notice().unwrap().contains("step 99999 is past the end"));

        lab.open_link("#%%%garbage", 0.0);
        settle(&mut lab);
        assert!(lab.notice().unwrap().contains("not name=value"));
        assert!(lab.shown().is_some());
    }

    #[test]
    fn an_empty_link_leaves_the_view_alone() {
        let mut lab = ready();
        lab.go(9);
        lab.open_link("", 0.0);
        settle(&mut lab);
        assert_eq!(lab.step(), 9);
    }

    #[test]
    fn breaking_the_story_shows_the_counterexample_at_its_violation() {
        let mut lab = ready();
        lab.start_break(0.0);
        assert!(lab.breaking().is_some());
        assert_eq!(
            lab.breaking().unwrap().setup.removed,
            ["pause client-1 for 15000 ms"]
        );
        settle(&mut lab);
        assert!(lab.breaking().is_none());
        let Some(BreakReport::Broken { faults, .. }) = lab.report() else {
            panic!("{:?}", lab.report());
        };
        assert!(faults[0].starts_with("pause client-1"));
        let shown = lab.shown().unwrap();
        assert!(matches!(
            shown.source,
            Source::Counterexample {
                explore_seed: 1,
                ..
            }
        ));
        let violation = shown.trace.first_violation().unwrap().at_seq.unwrap();
        assert_eq!(lab.step() as u64, violation);
        let hash = lab.hash().unwrap();
        assert_eq!(
            hash,
            format!("#story=gc_pause_past_ttl&seed=1&explore=1&step={violation}")
        );

        // The same link, opened fresh, finds the same counterexample.
        let mut other = ready();
        other.open_link(&hash, 0.0);
        settle(&mut other);
        assert_eq!(other.hash().unwrap(), hash);
        assert_eq!(other.shown().unwrap().trace, lab.shown().unwrap().trace);

        // Another run on show: the box about the counterexample goes.
        assert!(lab.run());
        settle(&mut lab);
        assert_eq!(lab.report(), None);
        assert!(matches!(lab.shown().unwrap().source, Source::Story { .. }));

        lab.start_break(0.0);
        settle(&mut lab);
        assert!(lab.report().is_some());
        lab.back_to_story();
        settle(&mut lab);
        assert_eq!(lab.report(), None);
        assert!(matches!(lab.shown().unwrap().source, Source::Story { .. }));
    }

    #[test]
    fn cancelling_reports_coverage_and_keeps_the_run() {
        let mut lab = ready();
        lab.select_story(stories::find(lab.stories(), "restart_with_aof").unwrap());
        settle(&mut lab);
        let before = lab.shown().unwrap().trace.clone();
        lab.start_break(0.0);
        lab.cancel_break();
        assert!(lab.breaking().unwrap().cancelling);
        settle(&mut lab);
        assert!(lab.breaking().is_none());
        let Some(BreakReport::Held {
            cancelled: true,
            statement,
            ..
        }) = lab.report()
        else {
            panic!("{:?}", lab.report());
        };
        assert!(statement.starts_with("The search was cancelled"));
        assert!(Rc::ptr_eq(&lab.shown().unwrap().trace, &before));
    }

    #[test]
    fn a_run_or_another_story_stops_a_search() {
        let mut lab = ready();
        lab.start_break(0.0);
        lab.select_story(0);
        assert!(lab.breaking().is_none());
        assert!(lab.is_running());
        let requests = lab.take_requests();
        let [Request::Explore { id: search, .. }, Request::Cancel { id: cancelled }, Request::Run { id: run, .. }] =
            requests.as_slice()
        else {
            panic!("{requests:?}");
        };
        assert_eq!(search, cancelled);
        // A late answer to the stopped search is not shown.
        let before = lab.shown().unwrap().trace.clone();
        lab.receive(Response::ExploreFailed {
            id: *search,
            message: "late".into(),
        });
        assert_eq!(lab.report(), None);
        // Nor is an answer to a run that a newer one replaced.
        let run = *run;
        assert!(lab.run());
        lab.receive(Response::Ran {
            id: run,
            result: Err("stale".into()),
        });
        assert_eq!(lab.editor_error(), None);
        assert!(Rc::ptr_eq(&lab.shown().unwrap().trace, &before));
        settle(&mut lab);
        assert_eq!(lab.story().unwrap().name, lab.stories()[0].name);
        assert!(!lab.is_running());
    }
}
