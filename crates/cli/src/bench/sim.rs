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
    bench.progress("sim: gc_pause_past_ttl events/s");
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
    bench.add(machine_relative(
        "simulator, GC-pause story: events/s, native",
        "events/s",
        events_per_s,
        machine,
        None,
    ));

    bench.progress("sim: explorer schedules/s on gc_pause_fenced");
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
    let schedules_per_s = tried as f64 / started.elapsed().as_secs_f64();
    bench.add(machine_relative(
        "explorer, fenced GC-pause story: schedules/s, native",
        "schedules/s",
        schedules_per_s,
        machine,
        Some(Target::AtLeast(5000.0)),
    ));
    Ok(())
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
        reference: machine,
        reference_unit: Some("iter/s"),
        target,
    }
}
