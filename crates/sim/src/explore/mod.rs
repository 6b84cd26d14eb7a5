//! The explorer: searches fault schedules for a run that breaks an
//! invariant (or the liveness check), then shrinks what it found to the
//! fewest, earliest faults, and hands back that run's full trace.
//!
//! The search has two parts. First, systematically, every single fault the
//! budget allows at every moment that matters in the fault-free run (right
//! after an acquisition, a reply, a send; around expiries; a time grid),
//! earliest moment first — so a one-fault counterexample found here is
//! already the earliest. Then, for the rest of the budget, random schedules
//! of up to `max_faults` faults with random network seeds (latency draws,
//! loss), each found violation being shrunk.
//!
//! The schedules form one list fixed by the scenario, budget and seed, so
//! the search can be split across workers by schedule number
//! ([`share::Share`]) and still give the single search's answer.
//!
//! It works in steps ([`Explorer::step`]) so a caller — the command line,
//! a web worker — can show progress and cancel between steps. The result
//! says what was covered; "no violation found within these bounds" is a
//! statement about the bounds, never a proof.

/// The budget lives beside the scenario (which states one), so the
/// scenario needs nothing from the explorer.
pub use crate::budget;
pub mod grade;
pub mod schedule;
pub(crate) mod search;
pub(crate) mod share;

use std::rc::Rc;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::ScenarioError;
use crate::scenario::{FaultSpec, Scenario};
use crate::trace::{Time, Trace};
use crate::world::{RunOptions, Spares, World};
pub use budget::{Budget, ExploreKind};
use schedule::{Moment, Placement, Planned, Template};
pub use search::{OwnFaults, SearchSetup};
pub use share::{decide, Decision, Share, ShareState};

/// Events one explored run may take before it is cut short.
const MAX_EVENTS_PER_RUN: u64 = 200_000;

/// Most runs spent shrinking one counterexample.
const MAX_SHRINK_RUNS: u64 = 400;

/// Where the explorer is.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Schedules run so far (shrinking included).
    pub tried: u64,
    /// Of those, the ones whose faults all struck: a fault planned for a
    /// moment the run never reached tested nothing.
    pub struck: u64,
    /// The budget's total.
    pub planned: u64,
    pub phase: Phase,
    /// The smallest counterexample so far: (faults, time of the violation).
    pub best: Option<(usize, Time)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Systematic,
    Random,
    Shrinking,
    Done,
}

/// What the search found.
#[derive(Clone, Debug)]
pub enum Finding {
    Violation(Box<Counterexample>),
    /// Nothing broke within the bounds (or the search was cancelled).
    NoViolation(Coverage),
}

#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The faults, in words, in the order they were planned.
    pub faults: Vec<String>,
    /// The same as scenario faults (to replay with `run_with`).
    pub specs: Vec<FaultSpec>,
    pub seed: u64,
    /// The full trace of the failing run.
    pub trace: Trace,
    /// Schedules tried before the first violation, and spent shrinking.
    pub found_after: u64,
    pub shrink_runs: u64,
}

#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Coverage {
    /// Schedules planned and run (the fault-free run included).
    pub tried: u64,
    /// Of those, the ones whose faults all struck.
    pub struck: u64,
    pub systematic_tried: u64,
    pub systematic_total: u64,
    pub random_tried: u64,
    pub cancelled: bool,
    /// The budget in words.
    pub bounds: String,
}

impl Coverage {
    /// The coverage of a split search: its shares' counts added up (each
    /// share ran its own schedules, the first share the fault-free run).
    pub fn merge(shares: &[Coverage]) -> Coverage {
        let mut merged = shares.first().cloned().unwrap_or_default();
        for share in shares.iter().skip(1) {
            merged.tried += share.tried;
            merged.struck += share.struck;
            merged.systematic_tried += share.systematic_tried;
            merged.random_tried += share.random_tried;
            merged.cancelled |= share.cancelled;
        }
        merged
    }

    /// The honest sentence.
    pub fn statement(&self) -> String {
        let how = if self.cancelled {
            "The search was cancelled"
        } else {
            "No violation found within these bounds"
        };
        format!(
            "{how}: {} schedules planned, {} struck ({} of {} single-fault placements, {} random \
             schedules; a schedule struck when all its faults happened before the run ended); {}. \
             This is not a proof of correctness: faults outside these bounds were not tried.",
            self.tried,
            self.struck,
            self.systematic_tried,
            self.systematic_total,
            self.random_tried,
            self.bounds
        )
    }
}

pub struct Explorer {
    scenario: Rc<Scenario>,
    budget: Budget,
    seed: u64,
    rng: ChaCha8Rng,
    templates: Vec<Template>,
    moments: Vec<Moment>,
    /// Next (moment, template) pair of the systematic phase.
    next_systematic: usize,
    /// The part of the schedule list this explorer runs.
    share: Share,
    /// Number of the next schedule in the list (0 is the fault-free run).
    next_number: u64,
    /// Number of the schedule found failing.
    found_at: Option<u64>,
    tried: u64,
    struck: u64,
    systematic_tried: u64,
    random_tried: u64,
    cancelled: bool,
    baseline: Trace,
    /// Lua states, handed from run to run.
    spares: Option<Spares>,
    finding: Option<Finding>,
}

impl Explorer {
    /// Prepares a search; runs the fault-free scenario once to find the
    /// moments that matter. A fault-free run that already fails is the
    /// answer (with no faults at all).
    pub fn new(scenario: &Scenario, budget: Budget, seed: u64) -> Result<Explorer, ScenarioError> {
        Explorer::new_share(scenario, budget, seed, Share::WHOLE)
    }

    /// Prepares the part `share` of a search split across workers. Only the
    /// first share counts the fault-free run in its progress, so the
    /// shares' counts add up to the single search's.
    pub fn new_share(
        scenario: &Scenario,
        budget: Budget,
        seed: u64,
        share: Share,
    ) -> Result<Explorer, ScenarioError> {
        let scenario = Rc::new(scenario.clone());
        let (baseline, spares) = World::new(
            Rc::clone(&scenario),
            scenario.faults.clone(),
            RunOptions::new(seed),
        )?
        .run_keeping_spares();
        let templates = schedule::templates(&scenario, &budget);
        let moments = schedule::moments(&baseline, &budget, scenario.duration_ms);
        let mut explorer = Explorer {
            rng: ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_e8b1_04e5),
            scenario,
            budget,
            seed,
            templates,
            moments,
            next_systematic: 0,
            share,
            next_number: 1,
            found_at: None,
            tried: u64::from(share.index() == 0),
            struck: u64::from(share.index() == 0),
            systematic_tried: 0,
            random_tried: 0,
            cancelled: false,
            baseline,
            spares: Some(spares),
            finding: None,
        };
        if fails(&explorer.baseline) {
            explorer.found_at = Some(0);
            let trace = explorer.baseline.clone();
            explorer.finding = Some(Finding::Violation(Box::new(Counterexample {
                faults: Vec::new(),
                specs: Vec::new(),
                seed,
                trace,
                found_after: 1,
                shrink_runs: 0,
            })));
        }
        Ok(explorer)
    }

    /// Where this share stands, for [`share::decide`].
    pub fn share_state(&self) -> ShareState {
        let cleared = match &self.finding {
            Some(Finding::Violation(_)) => self.found_at.unwrap_or(0),
            Some(Finding::NoViolation(coverage)) if !coverage.cancelled => u64::MAX,
            _ => self.next_number,
        };
        ShareState {
            found_at: self.found_at,
            cleared,
        }
    }

    /// The fault-free run.
    pub fn baseline(&self) -> &Trace {
        &self.baseline
    }

    /// How many single-fault placements the systematic phase plans: the
    /// schedules numbered 1 to this; the random ones follow.
    pub fn systematic_total(&self) -> u64 {
        (self.moments.len() * self.templates.len()) as u64
    }

    pub fn progress(&self) -> Progress {
        let phase = match &self.finding {
            Some(_) => Phase::Done,
            None if (self.next_systematic as u64) < self.systematic_total() => Phase::Systematic,
            None => Phase::Random,
        };
        let best = match &self.finding {
            Some(Finding::Violation(c)) => Some((
                c.faults.len(),
                c.trace
                    .first_violation()
                    .and_then(|v| v.at_us)
                    .unwrap_or(c.trace.end_us),
            )),
            _ => None,
        };
        Progress {
            tried: self.tried,
            struck: self.struck,
            planned: self.budget.schedules.max(self.tried),
            phase,
            best,
        }
    }

    /// Stops the search at the next step; the result is a coverage
    /// statement marked as cancelled.
    pub fn cancel(&mut self) {
        self.cancelled = true;
    }

    pub fn finding(&self) -> Option<&Finding> {
        self.finding.as_ref()
    }

    pub fn into_finding(mut self) -> Finding {
        if self.finding.is_none() {
            self.finding = Some(Finding::NoViolation(self.coverage()));
        }
        self.finding
            .take()
            .unwrap_or_else(|| Finding::NoViolation(Coverage::default()))
    }

    fn coverage(&self) -> Coverage {
        Coverage {
            tried: self.tried,
            struck: self.struck,
            systematic_tried: self.systematic_tried,
            systematic_total: self.systematic_total(),
            random_tried: self.random_tried,
            cancelled: self.cancelled,
            bounds: self.budget.describe(self.scenario.duration_ms),
        }
    }

    /// Runs up to `runs` more schedules; returns where the search stands.
    pub fn step(&mut self, runs: u64) -> Progress {
        for _ in 0..runs {
            if self.finding.is_some() {
                break;
            }
            if self.cancelled {
                self.finding = Some(Finding::NoViolation(self.coverage()));
                break;
            }
            let Some((number, schedule, seed)) = self.next_own_schedule() else {
                self.finding = Some(Finding::NoViolation(self.coverage()));
                break;
            };
            if self.breaks(&schedule, seed) {
                // Counted in the whole list, so every split agrees.
                let found_after = number + 1;
                self.found_at = Some(number);
                let counterexample = self.shrink(schedule, seed, found_after);
                self.finding = Some(Finding::Violation(Box::new(counterexample)));
            }
        }
        self.progress()
    }

    /// Runs to the end, calling `on_progress` every `every` schedules; it
    /// returns false to cancel.
    pub fn run(mut self, every: u64, mut on_progress: impl FnMut(&Progress) -> bool) -> Finding {
        loop {
            let progress = self.step(every.max(1));
            if progress.phase == Phase::Done || !on_progress(&progress) {
                if progress.phase != Phase::Done {
                    self.cancel();
                    self.step(1);
                }
                return self.into_finding();
            }
        }
    }

    /// The next schedule of this share with its number, or None when the
    /// budget or the list is spent. Schedules of other shares are drawn
    /// (cheap: a few random numbers) but not run, so the random ones come
    /// out the same in every share.
    fn next_own_schedule(&mut self) -> Option<(u64, Vec<Planned>, u64)> {
        loop {
            let number = self.next_number;
            if number >= self.budget.schedules.max(1) {
                return None;
            }
            let systematic = self.next_systematic < self.systematic_total() as usize;
            let (schedule, seed) = self.next_schedule();
            if schedule.is_empty() {
                return None;
            }
            self.next_number += 1;
            if self.share.owns(number) {
                if systematic {
                    self.systematic_tried += 1;
                } else {
                    self.random_tried += 1;
                }
                return Some((number, schedule, seed));
            }
        }
    }

    /// The next schedule of the list: systematic single faults first, then
    /// random ones.
    fn next_schedule(&mut self) -> (Vec<Planned>, u64) {
        let total = self.systematic_total() as usize;
        if self.next_systematic < total {
            let moment = &self.moments[self.next_systematic / self.templates.len()];
            let template = &self.templates[self.next_systematic % self.templates.len()];
            self.next_systematic += 1;
            let planned = Planned {
                template: template.clone(),
                placement: moment.placement.clone(),
                baseline_us: moment.baseline_us,
            };
            return (vec![planned], self.seed);
        }
        if self.templates.is_empty() || self.budget.max_faults == 0 {
            return (Vec::new(), self.seed);
        }
        let count = self.rng.random_range(1..=self.budget.max_faults as u64) as usize;
        let mut schedule: Vec<Planned> = (0..count).map(|_| self.random_fault()).collect();
        schedule.sort_by_key(|p| p.baseline_us);
        let seed = self.rng.random::<u64>();
        (schedule, seed)
    }

    fn random_fault(&mut self) -> Planned {
        let template =
            self.templates[self.rng.random_range(0..self.templates.len() as u64) as usize].clone();
        let use_moment = !self.moments.is_empty() && self.rng.random::<f64>() < 0.7;
        if use_moment {
            let moment =
                &self.moments[self.rng.random_range(0..self.moments.len() as u64) as usize];
            return Planned {
                template,
                placement: moment.placement.clone(),
                baseline_us: moment.baseline_us,
            };
        }
        let [low, high] = self
            .budget
            .within_ms
            .unwrap_or([0.0, self.scenario.duration_ms as f64]);
        let ms = (low + (high - low) * self.rng.random::<f64>()).floor();
        Planned {
            template,
            placement: Placement::At { ms },
            baseline_us: (ms * 1000.0) as Time,
        }
    }

    /// Whether the scenario fails with this schedule and seed.
    fn breaks(&mut self, schedule: &[Planned], seed: u64) -> bool {
        self.tried += 1;
        let options = RunOptions {
            seed,
            record: false,
            stop_at_violation: true,
            max_events: MAX_EVENTS_PER_RUN,
            extend_ms: schedule::lost_time_ms(schedule),
        };
        let faults = self.faults_with(schedule);
        let own = self.scenario.faults.len();
        let spares = self.spares.take().unwrap_or_default();
        match World::with_spares(Rc::clone(&self.scenario), faults, options, spares) {
            Ok(world) => {
                let (trace, spares) = world.run_keeping_spares();
                self.spares = Some(spares);
                if trace.unstruck_faults.iter().all(|&i| i < own) {
                    self.struck += 1;
                }
                fails(&trace)
            }
            Err(_) => false,
        }
    }

    fn faults_with(&self, schedule: &[Planned]) -> Vec<FaultSpec> {
        let mut faults = self.scenario.faults.clone();
        faults.extend(schedule::specs(schedule));
        faults
    }

    /// Makes a failing schedule smaller: drop faults that are not needed,
    /// move each to the earliest moment that still fails, shorten pauses.
    fn shrink(
        &mut self,
        mut schedule: Vec<Planned>,
        seed: u64,
        found_after: u64,
    ) -> Counterexample {
        let start = self.tried;
        let spent = |s: &Explorer| s.tried - start;
        // Fewer faults.
        let mut i = 0;
        while i < schedule.len() && schedule.len() > 1 && spent(self) < MAX_SHRINK_RUNS {
            let mut fewer = schedule.clone();
            fewer.remove(i);
            if self.breaks(&fewer, seed) {
                schedule = fewer;
            } else {
                i += 1;
            }
        }
        // Earlier moments, then gentler faults.
        for i in 0..schedule.len() {
            let earlier: Vec<Moment> = self
                .moments
                .iter()
                .filter(|m| m.baseline_us < schedule[i].baseline_us)
                .cloned()
                .collect();
            for moment in earlier {
                if spent(self) >= MAX_SHRINK_RUNS {
                    break;
                }
                let mut moved = schedule.clone();
                moved[i].placement = moment.placement.clone();
                moved[i].baseline_us = moment.baseline_us;
                if self.breaks(&moved, seed) {
                    schedule = moved;
                    break;
                }
            }
            for gentler in self.gentler(&schedule[i].template) {
                if spent(self) >= MAX_SHRINK_RUNS {
                    break;
                }
                let mut softened = schedule.clone();
                softened[i].template = gentler;
                if self.breaks(&softened, seed) {
                    schedule = softened;
                    break;
                }
            }
        }
        let shrink_runs = spent(self);
        let options = RunOptions {
            extend_ms: schedule::lost_time_ms(&schedule),
            ..RunOptions::new(seed)
        };
        let trace = World::new(
            Rc::clone(&self.scenario),
            self.faults_with(&schedule),
            options,
        )
        .map(World::run)
        .unwrap_or_default();
        Counterexample {
            faults: schedule.iter().map(Planned::describe).collect(),
            specs: schedule::specs(&schedule),
            seed,
            trace,
            found_after,
            shrink_runs,
        }
    }

    /// Milder versions of a fault, mildest first (shorter pauses and
    /// outages, smaller spikes): the same kind with a smaller amount from
    /// the budget.
    fn gentler(&self, template: &Template) -> Vec<Template> {
        let kind = template.kind;
        let (Some(amounts), true) = (kind.amounts(&self.budget), kind.smaller_is_gentler()) else {
            return Vec::new();
        };
        let than = kind.amount_of(&template.fault);
        let mut values: Vec<f64> = amounts.iter().copied().filter(|&v| v < than).collect();
        values.sort_by(f64::total_cmp);
        let target = template.fault.target().unwrap_or_default();
        values
            .into_iter()
            .map(|amount| Template {
                kind,
                fault: kind.fault(target, amount, &self.budget, &self.scenario),
            })
            .collect()
    }
}

/// Whether a run broke an invariant or failed its liveness check.
pub fn fails(trace: &Trace) -> bool {
    trace.verdicts.iter().any(|v| !v.held)
}
