//! How fast the world runs natively: trace events per second and whole
//! scenario runs per second, with the trace recorded (the player) and
//! without (the explorer).
//!
//! ```text
//! cargo bench -p lockstep-sim --bench world
//! LOCKSTEP_BENCH_MS=5000 cargo bench -p lockstep-sim --bench world   # longer runs
//! cargo bench -p lockstep-sim --bench world -- gc_pause              # names containing it
//! cargo bench -p lockstep-sim --bench world -- explore               # the explorer's schedules/s
//! ```
//!
//! The same figures on wasm32 under Node come from `tests/wasm_bench.rs`
//! (its header has the command); divide the two for the wasm/native ratio.
//! Benches build with the release profile, which is the shipped wasm's
//! (opt-level "z", LTO), so the two compare like for like.

#[path = "../tests/support/stories.rs"]
mod stories;

#[path = "../tests/support/measure.rs"]
mod measure;

use std::time::Instant;

use measure::{explorer_rate, measure, Figures, MEASURED};

fn main() {
    // `cargo test --benches` runs bench targets with `--test`: nothing to
    // check here, so don't spend minutes measuring.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    let budget_ms = std::env::var("LOCKSTEP_BENCH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000.0);
    let started = Instant::now();
    let now_ms = || started.elapsed().as_secs_f64() * 1000.0;
    println!("lockstep-sim, native, {budget_ms} ms per figure");
    println!("{}", Figures::header());
    // Like libtest: the first argument that is not a flag filters by name.
    let filter = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let selected = MEASURED
        .iter()
        .filter(|name| filter.as_deref().is_none_or(|f| name.contains(f)));
    for name in selected {
        let figures = measure(name, &stories::story(name), budget_ms, &now_ms);
        println!("{}", figures.row());
    }
    if filter.as_deref().is_none_or(|f| "explore".contains(f)) {
        let (rate, tried) = explorer_rate(budget_ms, &now_ms);
        println!("explorer on gc_pause_fenced: {rate:.0} schedules/s ({tried} schedules)");
    }
}
