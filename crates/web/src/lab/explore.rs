//! "Break it": the explorer, driven in slices small enough that the page
//! keeps painting and answering clicks between them.
//!
//! The explorer runs in the lab's web worker ([`super::jobs`]), which calls
//! [`ExploreDriver::tick`] from a timer: the driver runs schedules one by one
//! until a slice of [`SLICE_MS`] is used up and hands back where the search
//! stands, so the worker posts progress and reads a Cancel between slices.
//! The clock is passed in, so all of this is tested natively.

use serde::{Deserialize, Serialize};

use lockstep_sim::explore::{
    Coverage, Explorer, Finding, OwnFaults, Phase, Progress, SearchSetup, Share, ShareState,
};
use lockstep_sim::trace::Trace;

/// Longest stretch of one tick, in ms: short enough that progress moves
/// and a Cancel is read promptly, long enough that timer overhead stays
/// small.
pub const SLICE_MS: f64 = 25.0;

/// The scenario as the explorer gets it: the simulator's one policy for a
/// scenario's own faults ([`OwnFaults`]); the page takes them out, as
/// `lockstep explore` does by default.
pub type BreakSetup = SearchSetup;

/// The page's choice of policy.
pub const PAGE_POLICY: OwnFaults = OwnFaults::TakeOut;

/// Where the search stands, for the progress bar.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct ProgressView {
    pub tried: u64,
    /// Of those, the schedules whose faults all struck.
    pub struck: u64,
    pub planned: u64,
    /// 0.0 to 1.0.
    pub fraction: f64,
    pub per_second: f64,
    /// What the explorer is doing, in words.
    pub phase: String,
}

/// How a search ended.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub enum Outcome {
    /// A schedule of faults that breaks an invariant, already shrunk.
    Broken {
        /// The faults in words (empty: it breaks with no faults at all).
        faults: Vec<String>,
        seed: u64,
        trace: Trace,
        found_after: u64,
        shrink_runs: u64,
        stats: Stats,
    },
    /// Nothing broke, or the search was cancelled: the coverage statement.
    Held {
        statement: String,
        cancelled: bool,
        stats: Stats,
    },
}

/// Speed of the whole search, measured on the page's clock.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Serialize)]
pub struct Stats {
    pub tried: u64,
    pub seconds: f64,
    pub per_second: f64,
}

impl Outcome {
    pub fn stats(&self) -> Stats {
        match self {
            Outcome::Broken { stats, .. } | Outcome::Held { stats, .. } => *stats,
        }
    }
}

/// What one tick did.
#[derive(Debug)]
pub enum Tick {
    Running(ProgressView),
    Done(Box<Outcome>),
}

pub struct ExploreDriver {
    explorer: Option<Explorer>,
    started_ms: f64,
    progress: Progress,
    /// Where this share of the search stands, kept past its end.
    state: ShareState,
    /// The coverage it ended with, when it found nothing.
    coverage: Option<Coverage>,
}

impl ExploreDriver {
    /// Prepares the search (this runs the fault-free scenario once).
    pub fn start(setup: &BreakSetup, seed: u64, now_ms: f64) -> Result<ExploreDriver, String> {
        ExploreDriver::start_share(setup, seed, Share::WHOLE, now_ms)
    }

    /// Prepares one share of a search split across workers.
    pub fn start_share(
        setup: &BreakSetup,
        seed: u64,
        share: Share,
        now_ms: f64,
    ) -> Result<ExploreDriver, String> {
        let explorer = Explorer::new_share(&setup.scenario, setup.budget.clone(), seed, share)?;
        Ok(ExploreDriver::from_explorer(explorer, now_ms))
    }

    /// Drives a search already prepared (a share of grading a fix).
    pub fn from_explorer(explorer: Explorer, now_ms: f64) -> ExploreDriver {
        let progress = explorer.progress();
        let state = explorer.share_state();
        ExploreDriver {
            explorer: Some(explorer),
            started_ms: now_ms,
            progress,
            state,
            coverage: None,
        }
    }

    /// Where this share stands, for [`lockstep_sim::explore::decide`].
    pub fn share_state(&self) -> ShareState {
        self.state
    }

    /// The coverage of a search that ended without a violation.
    pub fn coverage(&self) -> Option<&Coverage> {
        self.coverage.as_ref()
    }

    /// Runs schedules until the slice is used up or the search ends.
    /// `now_ms` is the page's clock (`performance.now()`).
    pub fn tick(&mut self, now_ms: &mut dyn FnMut() -> f64) -> Tick {
        let slice_start = now_ms();
        let Some(explorer) = self.explorer.as_mut() else {
            return Tick::Done(Box::new(self.held_without_explorer(slice_start)));
        };
        loop {
            // One schedule per step: each is a whole simulated run, a few ms
            // in wasm, so the slice is never overshot by more than one run
            // (or, when a violation is found, by its shrinking, which the
            // explorer does inside the same step).
            self.progress = explorer.step(1);
            self.state = explorer.share_state();
            if self.progress.phase == Phase::Done {
                return Tick::Done(Box::new(self.finish(now_ms())));
            }
            if now_ms() - slice_start >= SLICE_MS {
                return Tick::Running(self.view(now_ms()));
            }
        }
    }

    /// Stops the search; the next tick reports the coverage so far.
    pub fn cancel(&mut self) {
        if let Some(explorer) = self.explorer.as_mut() {
            explorer.cancel();
        }
    }

    pub fn view(&self, now_ms: f64) -> ProgressView {
        let Progress {
            tried,
            struck,
            planned,
            phase,
            ..
        } = self.progress;
        ProgressView {
            tried,
            struck,
            planned,
            fraction: if planned == 0 {
                0.0
            } else {
                (tried as f64 / planned as f64).clamp(0.0, 1.0)
            },
            per_second: self.rate(tried, now_ms),
            phase: match phase {
                Phase::Systematic => "trying each single fault at the moments that matter",
                Phase::Random => "trying random schedules of faults",
                Phase::Shrinking => "shrinking what it found",
                Phase::Done => "done",
            }
            .to_string(),
        }
    }

    fn rate(&self, tried: u64, now_ms: f64) -> f64 {
        let seconds = (now_ms - self.started_ms) / 1000.0;
        if seconds > 0.0 {
            tried as f64 / seconds
        } else {
            0.0
        }
    }

    fn finish(&mut self, now_ms: f64) -> Outcome {
        let Some(explorer) = self.explorer.take() else {
            return self.held_without_explorer(now_ms);
        };
        let seconds = ((now_ms - self.started_ms) / 1000.0).max(0.0);
        match explorer.into_finding() {
            Finding::Violation(found) => {
                let tried = found.found_after + found.shrink_runs;
                Outcome::Broken {
                    faults: found.faults,
                    seed: found.seed,
                    trace: found.trace,
                    found_after: found.found_after,
                    shrink_runs: found.shrink_runs,
                    stats: Stats {
                        tried,
                        seconds,
                        per_second: self.rate(tried, now_ms),
                    },
                }
            }
            Finding::NoViolation(coverage) => {
                self.coverage = Some(coverage.clone());
                Outcome::Held {
                    statement: coverage.statement(),
                    cancelled: coverage.cancelled,
                    stats: Stats {
                        tried: coverage.tried,
                        seconds,
                        per_second: self.rate(coverage.tried, now_ms),
                    },
                }
            }
        }
    }

    fn held_without_explorer(&self, now_ms: f64) -> Outcome {
        Outcome::Held {
            statement: "The search already ended.".into(),
            cancelled: true,
            stats: Stats {
                tried: self.progress.tried,
                seconds: (now_ms - self.started_ms) / 1000.0,
                per_second: self.rate(self.progress.tried, now_ms),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use lockstep_sim::explore::Budget;
    use lockstep_sim::Scenario;

    use super::*;

    fn story(name: &str) -> Scenario {
        lockstep_lessons::stories::find(name)
            .unwrap()
            .scenario()
            .unwrap()
    }

    /// Drives a search to its end with the real clock, as the page does.
    fn drive(setup: &BreakSetup, seed: u64) -> (Outcome, usize) {
        let clock = Instant::now();
        let mut now = || clock.elapsed().as_secs_f64() * 1000.0;
        let mut driver = ExploreDriver::start(setup, seed, now()).unwrap();
        let mut ticks = 0;
        loop {
            ticks += 1;
            match driver.tick(&mut now) {
                Tick::Running(view) => {
                    assert!(view.tried <= view.planned);
                    assert!((0.0..=1.0).contains(&view.fraction));
                }
                Tick::Done(outcome) => return (*outcome, ticks),
            }
        }
    }

    #[test]
    fn the_story_faults_are_taken_out_and_named() {
        let setup = BreakSetup::new(&story("gc_pause_past_ttl"), PAGE_POLICY);
        assert!(setup.scenario.faults.is_empty());
        assert_eq!(setup.removed, ["pause client-1 for 15000 ms"]);
        assert!(!setup.own_budget);
        assert_eq!(setup.budget, Budget::default());
        assert!(setup.bounds().contains("kinds pause, kill, restart"));
    }

    #[test]
    fn the_explorer_finds_the_gc_pause_on_its_own() {
        let setup = BreakSetup::new(&story("gc_pause_past_ttl"), PAGE_POLICY);
        let (outcome, _) = drive(&setup, 1);
        let Outcome::Broken {
            faults,
            trace,
            stats,
            ..
        } = outcome
        else {
            panic!("the default budget breaks the GC pause story");
        };
        assert_eq!(faults.len(), 1, "{faults:?}");
        assert!(faults[0].starts_with("pause client-1"), "{faults:?}");
        assert!(trace.first_violation().is_some());
        assert!(stats.tried > 1 && stats.per_second > 0.0);
    }

    #[test]
    fn a_cancelled_search_says_so() {
        let setup = BreakSetup::new(&story("restart_with_aof"), PAGE_POLICY);
        let clock = Instant::now();
        let mut now = || clock.elapsed().as_secs_f64() * 1000.0;
        let mut driver = ExploreDriver::start(&setup, 1, now()).unwrap();
        driver.cancel();
        let Tick::Done(outcome) = driver.tick(&mut now) else {
            panic!("a cancelled search ends at the next tick");
        };
        let Outcome::Held {
            statement,
            cancelled,
            ..
        } = *outcome
        else {
            panic!("cancelled before anything broke");
        };
        assert!(cancelled);
        assert!(
            statement.starts_with("The search was cancelled"),
            "{statement}"
        );
    }

    #[test]
    fn ticks_are_slices_not_the_whole_search() {
        // A clock that moves 10 ms per reading: every tick ends after a
        // couple of runs, so a long search takes many ticks.
        let setup = BreakSetup::new(&story("restart_with_aof"), PAGE_POLICY);
        let mut fake = 0.0;
        let mut now = || {
            fake += 10.0;
            fake
        };
        let mut driver = ExploreDriver::start(&setup, 1, 0.0).unwrap();
        let Tick::Running(view) = driver.tick(&mut now) else {
            panic!("one slice is not the whole search");
        };
        assert!(view.tried <= 4, "{view:?}");
        assert!(view.per_second > 0.0);
    }
}
