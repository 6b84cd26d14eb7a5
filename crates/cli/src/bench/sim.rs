//! The simulator natively: trace events per second playing the GC-pause
//! lock story, and explorer schedules per second searching the fenced
//! GC-pause story (its own faults taken out, as the page's "Break it"
//! does; fencing holds, so the search never stops early).
//!
//! Nothing outside Lockstep runs these, so their reference is the
//! machine's speed in the same run: PUC Lua 5.1 running the numeric loop
//! (iterations per second). The ratio has no meaning of its own; it makes
//! the regression check fair on a machine busier or idler than when the
//! figures were recorded.

use std::time::{Duration, Instant};

use lockstep_sim::explore::Explorer;

use super::figure::{Better, Figure, Target};
use super::lua::lua51_loop_rate;
use super::Bench;

/// About how long each figure runs.
const BUDGET: Duration = Duration::from_secs(3);

pub fn run(bench: &mut Bench) -> Result<(), String> {
    bench.progress("sim: machine speed (lua5.1 loop)");
    let machine = lua51_loop_rate()?;
    let rates = native_rates(bench)?;
    bench.add(machine_relative(
        "simulator, GC-pause story: events/s, native",
        "events/s",
        rates.events_per_s,
        machine,
        None,
    ));
    bench.add(machine_relative(
        "explorer, fenced GC-pause story: schedules/s, native",
        "schedules/s",
        rates.schedules_per_s,
        machine,
        Some(Target::AtLeast(5000.0)),
    ));
    Ok(())
}

/// The simulator's native speed.
#[derive(Clone, Copy, Debug)]
pub struct Rates {
    pub events_per_s: f64,
    pub schedules_per_s: f64,
}

/// Our native rates, measured once per run (the wasm group compares with
/// them too).
pub fn native_rates(bench: &mut Bench) -> Result<Rates, String> {
    if let Some(rates) = bench.native_sim {
        return Ok(rates);
    }
    bench.progress("sim: gc_pause_past_ttl events/s, native");
    let lock_story = story("gc_pause_past_ttl")?;
    let events = lockstep_sim::run(&lock_story, lock_story.seed)?
        .events
        .len();
    let started = Instant::now();
    let mut runs = 0u64;
    while started.elapsed() < BUDGET || runs < 3 {
        std::hint::black_box(lockstep_sim::run(&lock_story, lock_story.seed)?);
        runs += 1;
    }
    let events_per_s = (runs * events as u64) as f64 / started.elapsed().as_secs_f64();

    bench.progress("sim: explorer schedules/s on gc_pause_fenced, native");
    let mut fenced = story("gc_pause_fenced")?;
    fenced.faults.clear();
    let mut budget = fenced.explore.clone().unwrap_or_default();
    budget.schedules = u64::MAX;
    let started = Instant::now();
    let mut explorer = Explorer::new(&fenced, budget, fenced.seed)?;
    let mut tried = 0;
    while started.elapsed() < BUDGET && explorer.finding().is_none() {
        tried = explorer.step(10).tried;
    }
    let rates = Rates {
        events_per_s,
        schedules_per_s: tried as f64 / started.elapsed().as_secs_f64(),
    };
    bench.native_sim = Some(rates);
    Ok(rates)
}

fn story(name: &str) -> Result<lockstep_sim::Scenario, String> {
    lockstep_lessons::stories()
        .into_iter()
        .find(|(stem, _)| *stem == name)
        .ok_or_else(|| format!("no story named {name}"))?
        .1
        .map_err(|e| format!("{name}: {e}"))
}

fn machine_relative(
    name: &str,
    unit: &'static str,
    ours: f64,
    machine: f64,
    target: Option<Target>,
) -> Figure {
    Figure {
        group: "sim",
        name: name.into(),
        unit,
        better: Better::Higher,
        ours,
        reference_name: "machine speed: lua5.1 numeric loop".into(),
        reference: machine / 1e6,
        reference_unit: Some("M iter/s"),
        target,
    }
}
