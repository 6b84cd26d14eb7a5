//! The simulator's throughput, measured the same way natively
//! (`benches/world.rs`) and on wasm32 under Node (`tests/wasm_bench.rs`);
//! only the clock differs, so it is passed in.

#![allow(dead_code)]

use std::rc::Rc;

use lockstep_sim::{RunOptions, Scenario};

/// What one scenario achieved.
#[derive(Clone, Debug)]
pub struct Figures {
    pub name: String,
    /// Trace events in one run (seed 1).
    pub events_per_run: usize,
    /// Whole runs per second, recording the trace (what the player does).
    pub runs_per_s_recorded: f64,
    /// Whole runs per second without a trace (what the explorer does).
    pub runs_per_s_unrecorded: f64,
    /// Worlds built per second without running them: the Lua state, the
    /// libraries, the engines. What every run pays before its first event.
    pub builds_per_s: f64,
}

impl Figures {
    pub fn events_per_s_recorded(&self) -> f64 {
        self.events_per_run as f64 * self.runs_per_s_recorded
    }

    /// The run is the same with or without a trace (the explorer depends
    /// on that), so a recorded run's event count stands for both.
    pub fn events_per_s_unrecorded(&self) -> f64 {
        self.events_per_run as f64 * self.runs_per_s_unrecorded
    }

    /// How much of an unrecorded run is building the world, in percent.
    pub fn build_share(&self) -> f64 {
        100.0 * self.runs_per_s_unrecorded / self.builds_per_s
    }

    pub fn header() -> String {
        format!(
            "{:<22} {:>7} {:>10} {:>12} {:>10} {:>12} {:>9} {:>7}",
            "scenario",
            "events",
            "runs/s rec",
            "events/s rec",
            "runs/s off",
            "events/s off",
            "builds/s",
            "build %"
        )
    }

    pub fn row(&self) -> String {
        format!(
            "{:<22} {:>7} {:>10.1} {:>12.0} {:>10.1} {:>12.0} {:>9.0} {:>7.1}",
            self.name,
            self.events_per_run,
            self.runs_per_s_recorded,
            self.events_per_s_recorded(),
            self.runs_per_s_unrecorded,
            self.events_per_s_unrecorded(),
            self.builds_per_s,
            self.build_share(),
        )
    }
}

/// Runs `scenario` with seed 1 over and over for about `budget_ms` each
/// way (recorded, unrecorded, only built), after one warm-up run; `now_ms` is a
/// monotonic clock in milliseconds.
pub fn measure(
    name: &str,
    scenario: &Scenario,
    budget_ms: f64,
    now_ms: &dyn Fn() -> f64,
) -> Figures {
    let scenario = Rc::new(scenario.clone());
    let run = |record: bool| {
        let options = RunOptions {
            record,
            ..RunOptions::new(1)
        };
        lockstep_sim::run_with(Rc::clone(&scenario), scenario.faults.clone(), options)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let events_per_run = run(true).events.len();
    let build = || {
        lockstep_sim::World::new(
            Rc::clone(&scenario),
            scenario.faults.clone(),
            RunOptions::new(1),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"))
    };
    let rate = |what: &dyn Fn()| {
        let started = now_ms();
        let mut runs = 0u32;
        loop {
            what();
            runs += 1;
            let elapsed = now_ms() - started;
            if (elapsed >= budget_ms && runs >= 3) || runs >= 100_000 {
                return runs as f64 / (elapsed.max(0.001) / 1000.0);
            }
        }
    };
    let runs_per_s_recorded = rate(&|| drop(std::hint::black_box(run(true))));
    let runs_per_s_unrecorded = rate(&|| drop(std::hint::black_box(run(false))));
    let builds_per_s = rate(&|| drop(std::hint::black_box(build())));
    Figures {
        name: name.to_string(),
        events_per_run,
        runs_per_s_recorded,
        runs_per_s_unrecorded,
        builds_per_s,
    }
}

/// The scenarios measured: the lock story everyone plays first, and the
/// other stories the determinism test covers.
pub const MEASURED: &[&str] = &[
    "gc_pause_past_ttl",
    "redlock_partition",
    "failover_loses_lock",
    "clock_jump",
    "busy_script",
];

/// The scenario the explorer's speed is measured on: the GC-pause lock
/// with fencing, where no violation exists, so the search never stops early.
pub const EXPLORED: &str = include_str!("../explore/gc_pause_fenced.toml");

/// Schedules the explorer runs per second on [`EXPLORED`] within about
/// `budget_ms`, and how many it ran.
pub fn explorer_rate(budget_ms: f64, now_ms: &dyn Fn() -> f64) -> (f64, u64) {
    let scenario = Scenario::parse_with_libraries(EXPLORED, &crate::stories::libraries())
        .unwrap_or_else(|e| panic!("gc_pause_fenced: {e}"));
    let mut budget = scenario.explore.clone().unwrap_or_default();
    budget.schedules = u64::MAX;
    let started = now_ms();
    let mut explorer = lockstep_sim::explore::Explorer::new(&scenario, budget, 1)
        .unwrap_or_else(|e| panic!("gc_pause_fenced: {e}"));
    loop {
        let progress = explorer.step(10);
        let elapsed = now_ms() - started;
        if elapsed >= budget_ms || explorer.finding().is_some() {
            return (
                progress.tried as f64 / (elapsed.max(0.001) / 1000.0),
                progress.tried,
            );
        }
    }
}
