//! The explorer's speed on one story, for profiling (`perf record`) the
//! per-schedule cost natively: the story's own faults taken out, as the
//! page's "Break it" does, and a kill-only budget, as the lab's
//! steady-speed e2e probe uses (killing a client never breaks the GC-pause
//! story, so the whole budget runs).
//!
//! ```sh
//! cargo build --profile release-native -p lockstep-sim --example explore_speed
//! perf stat -e task-clock target/release-native/examples/explore_speed gc_pause_past_ttl 3000
//! ```
//!
//! On a busy machine the wall-clock rate it prints swings; `perf stat`'s
//! task-clock (CPU time) is the steadier figure.

use std::time::Instant;

use lockstep_sim::budget::ExploreKind;
use lockstep_sim::explore::Explorer;

fn main() {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "gc_pause_past_ttl".into());
    let schedules: u64 = match args.next().map(|s| s.parse()) {
        None => 3000,
        Some(Ok(n)) => n,
        Some(Err(e)) => fail(&format!("the schedule count: {e}")),
    };
    let mut scenario = match lockstep_lessons::stories()
        .into_iter()
        .find(|(stem, _)| *stem == name)
    {
        Some((_, Ok(scenario))) => scenario,
        Some((_, Err(e))) => fail(&format!("{name}: {e}")),
        None => fail(&format!("no story named {name}")),
    };
    scenario.faults.clear();
    let mut budget = scenario.explore.clone().unwrap_or_default();
    budget.kinds = vec![ExploreKind::Kill];
    budget.schedules = schedules;
    let started = Instant::now();
    let mut explorer = match Explorer::new(&scenario, budget, scenario.seed) {
        Ok(explorer) => explorer,
        Err(e) => fail(&e.to_string()),
    };
    while explorer.finding().is_none() {
        explorer.step(50);
    }
    let tried = explorer.progress().tried;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{name}: {tried} schedules in {seconds:.3} s ({:.0} schedules/s)",
        tried as f64 / seconds
    );
}

fn fail(why: &str) -> ! {
    eprintln!("explore_speed: {why}");
    std::process::exit(2);
}
