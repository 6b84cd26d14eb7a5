//! The scenario lab's state: which story, the editor's text, the run on
//! show, the step, the explorer — everything the page draws, and every
//! action a visitor can take, as plain methods the tests can call.
//!
//! Bad input never costs anything: a scenario that does not parse or run
//! leaves the previous run on show and says why next to the editor; a link
//! that cannot be followed falls back to something sensible and says what
//! it could not use.

use std::rc::Rc;

use lockstep_sim::trace::Trace;

use super::explore::{BreakSetup, ExploreDriver, Outcome, ProgressView, Stats, Tick};
use super::link::{self, DeepLink};
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
    pub stopped: String,
    pub sections: Vec<String>,
    pub source: Source,
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
    fn new(trace: Trace, source: Source) -> Shown {
        Shown {
            timeline: Rc::new(TimelineView::new(&trace)),
            verdicts: verdicts::verdict_rows(&trace),
            stopped: verdicts::stopped(&trace),
            sections: world::section_names(&trace),
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
    driver: ExploreDriver,
    pub setup: BreakSetup,
    seed: u64,
    edited: bool,
    pub progress: ProgressView,
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
}

impl Default for Lab {
    fn default() -> Lab {
        Lab::new()
    }
}

impl Lab {
    /// The lab on its default story, run, at the first step.
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

    /// The world at the current step.
    pub fn world(&self) -> Option<WorldView> {
        let shown = self.shown.as_ref()?;
        Some(world::world_at(&shown.trace, &shown.sections, self.step))
    }

    /// The address hash that reproduces this view.
    pub fn hash(&self) -> Option<String> {
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
        }))
    }

    /// Said next to the link when it cannot reproduce what is on show.
    pub fn link_caveat(&self) -> Option<&'static str> {
        let edited = match &self.shown.as_ref()?.source {
            Source::Story { edited, .. } | Source::Counterexample { edited, .. } => *edited,
        };
        edited.then_some("The page's link opens the story as published, not your edits.")
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
            self.run();
        }
    }

    /// Runs the editor's scenario with the seed. On success the new run is
    /// shown (at the same step, if it has one); on failure the previous run
    /// stays and the error is shown next to the editor. Returns success.
    pub fn run(&mut self) -> bool {
        self.stop_break();
        let outcome = lockstep_lessons::scenario(&self.text)
            .map_err(|e| e.to_string())
            .and_then(|scenario| lockstep_sim::run(&scenario, self.seed));
        match outcome {
            Ok(trace) => {
                let source = Source::Story {
                    seed: self.seed,
                    edited: self.edited(),
                };
                self.show(Shown::new(trace, source), None);
                self.editor_error = None;
                true
            }
            Err(message) => {
                self.editor_error = Some(message);
                false
            }
        }
    }

    /// Shows `shown` at `step`, or at the current step if it exists there.
    fn show(&mut self, shown: Shown, step: Option<usize>) {
        self.step = step.unwrap_or(self.step).min(shown.last());
        self.shown = Some(shown);
    }

    /// Moves to `step`, clamped to the run.
    pub fn go(&mut self, step: usize) {
        if let Some(shown) = &self.shown {
            self.step = step.min(shown.last());
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
        }
        self.inputs_version += 1;
        self.step = 0;
        self.editor_error = None;
        self.run();
        if wanted.explore {
            self.pending_step = wanted.step;
            self.start_break(now_ms);
        } else if let Some(step) = wanted.step {
            self.go_linked(step, &mut problems);
        }
        self.notice = self.describe_problems(&problems);
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
    /// out. The page then calls [`Lab::tick_break`] until it returns false.
    pub fn start_break(&mut self, now_ms: f64) {
        self.stop_break();
        let scenario = match lockstep_lessons::scenario(&self.text) {
            Ok(scenario) => scenario,
            Err(e) => {
                self.editor_error = Some(e.to_string());
                return;
            }
        };
        let setup = BreakSetup::new(&scenario, super::explore::PAGE_POLICY);
        match ExploreDriver::start(&setup, self.seed, now_ms) {
            Ok(driver) => {
                self.report = None;
                self.breaking = Some(Breaking {
                    progress: driver.view(now_ms),
                    driver,
                    setup,
                    seed: self.seed,
                    edited: self.edited(),
                });
            }
            Err(message) => self.report = Some(BreakReport::Failed(message)),
        }
    }

    /// Runs one slice of the search; false once it has ended (the result is
    /// then in [`Lab::report`], and a counterexample is on show).
    pub fn tick_break(&mut self, now_ms: &mut dyn FnMut() -> f64) -> bool {
        let Some(breaking) = self.breaking.as_mut() else {
            return false;
        };
        match breaking.driver.tick(now_ms) {
            Tick::Running(progress) => {
                breaking.progress = progress;
                true
            }
            Tick::Done(outcome) => {
                if let Some(breaking) = self.breaking.take() {
                    self.finish_break(breaking, *outcome);
                }
                false
            }
        }
    }

    /// Cancels the search; its coverage so far is reported at once.
    pub fn cancel_break(&mut self, now_ms: &mut dyn FnMut() -> f64) {
        if let Some(breaking) = self.breaking.as_mut() {
            breaking.driver.cancel();
        }
        while self.tick_break(now_ms) {}
    }

    /// Drops a search without a report (a new run replaces it).
    fn stop_break(&mut self) {
        if self.breaking.take().is_some() {
            self.pending_step = None;
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
                self.show(Shown::new(trace, source), Some(violation.unwrap_or(0)));
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
    use std::time::Instant;

    use super::*;

    fn clock() -> impl FnMut() -> f64 {
        let start = Instant::now();
        move || start.elapsed().as_secs_f64() * 1000.0
    }

    fn finish_break(lab: &mut Lab) {
        let mut now = clock();
        while lab.tick_break(&mut now) {}
    }

    #[test]
    fn a_new_lab_shows_the_gc_pause_story_at_step_0() {
        let lab = Lab::new();
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
    fn stepping_stays_inside_the_run() {
        let mut lab = Lab::new();
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
        let mut lab = Lab::new();
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
        let mut lab = Lab::new();
        let text = lab
            .text()
            .replace("target = \"client-1\"", "target = \"client-9\"");
        lab.set_text(text);
        assert!(lab.edited());
        assert!(!lab.run());
        assert!(lab.editor_error().unwrap().contains("client-9"));
        lab.revert();
        assert_eq!(lab.editor_error(), None);
        assert!(!lab.edited());
    }

    #[test]
    fn an_edited_run_says_the_link_cannot_carry_the_edits() {
        let mut lab = Lab::new();
        assert_eq!(lab.link_caveat(), None);
        let text = lab
            .text()
            .replace("duration_ms = 15000", "duration_ms = 5000");
        lab.set_text(text);
        assert!(lab.run());
        assert!(lab.link_caveat().is_some());
        assert!(lab.shown().unwrap().trace.first_violation().is_none());
    }

    #[test]
    fn a_seed_changes_the_run_and_the_link() {
        let mut lab = Lab::new();
        lab.set_seed(7);
        assert!(lab.run());
        assert_eq!(lab.shown().unwrap().trace.seed, 7);
        assert!(lab.hash().unwrap().contains("seed=7"));
    }

    #[test]
    fn a_link_opens_its_story_seed_and_step() {
        let mut lab = Lab::new();
        lab.open_link("#story=clock_jump&seed=3&step=12", 0.0);
        assert_eq!(lab.story().unwrap().name, "clock_jump");
        assert_eq!(lab.seed(), 3);
        assert_eq!(lab.step(), 12);
        assert_eq!(lab.notice(), None);
        assert_eq!(lab.hash().unwrap(), "#story=clock_jump&seed=3&step=12");
    }

    #[test]
    fn a_forged_link_falls_back_and_says_why() {
        let mut lab = Lab::new();
        lab.open_link("#story=no_such_story&step=40", 0.0);
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
        let last = lab.shown().unwrap().last();
        assert_eq!(lab.step(), last);
        assert!(lab.notice().unwrap().contains("step 99999 is past the end"));

        lab.open_link("#%%%garbage", 0.0);
        assert!(lab.notice().unwrap().contains("not name=value"));
        assert!(lab.shown().is_some());
    }

    #[test]
    fn an_empty_link_leaves_the_view_alone() {
        let mut lab = Lab::new();
        lab.go(9);
        lab.open_link("", 0.0);
        assert_eq!(lab.step(), 9);
    }

    #[test]
    fn breaking_the_story_shows_the_counterexample_at_its_violation() {
        let mut lab = Lab::new();
        lab.start_break(0.0);
        assert!(lab.breaking().is_some());
        assert_eq!(
            lab.breaking().unwrap().setup.removed,
            ["pause client-1 for 15000 ms"]
        );
        finish_break(&mut lab);
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
        let mut other = Lab::new();
        other.open_link(&hash, 0.0);
        finish_break(&mut other);
        assert_eq!(other.hash().unwrap(), hash);
        assert_eq!(other.shown().unwrap().trace, lab.shown().unwrap().trace);

        lab.back_to_story();
        assert_eq!(lab.report(), None);
        assert!(matches!(lab.shown().unwrap().source, Source::Story { .. }));
    }

    #[test]
    fn cancelling_reports_coverage_and_keeps_the_run() {
        let mut lab = Lab::new();
        lab.select_story(stories::find(lab.stories(), "restart_with_aof").unwrap());
        let before = lab.shown().unwrap().trace.clone();
        lab.start_break(0.0);
        lab.cancel_break(&mut clock());
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
        let mut lab = Lab::new();
        lab.start_break(0.0);
        lab.select_story(0);
        assert!(lab.breaking().is_none());
        assert!(!lab.tick_break(&mut clock()));
    }
}
