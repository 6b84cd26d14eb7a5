//! How fast the world runs on wasm32 under Node: the counterpart of
//! `benches/world.rs`, with the same scenarios and figures. Ignored, so
//! test runs skip it; run it with an optimised build:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --release --target wasm32-unknown-unknown -p lockstep-sim \
//!   --test wasm_bench -- --include-ignored --nocapture
//! ```
//!
//! `LOCKSTEP_BENCH_MS` is not visible inside wasm; the budget is fixed at
//! 2 s per figure, as the native bench's default.
#![cfg(target_arch = "wasm32")]

#[path = "support/stories.rs"]
mod stories;

#[path = "support/measure.rs"]
mod measure;

use measure::{explorer_rate, measure, Figures, MEASURED};
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

#[wasm_bindgen_test]
#[ignore = "a benchmark: run with --include-ignored --nocapture"]
fn world_throughput() {
    let now_ms = js_sys::Date::now;
    console_log!("lockstep-sim, wasm32 under Node, 2000 ms per figure");
    console_log!("{}", Figures::header());
    for name in MEASURED {
        let figures = measure(name, &stories::story(name), 2000.0, &now_ms);
        console_log!("{}", figures.row());
    }
    let (rate, tried) = explorer_rate(2000.0, &now_ms);
    console_log!("explorer on gc_pause_fenced: {rate:.0} schedules/s ({tried} schedules)");
}
