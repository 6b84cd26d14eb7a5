//! The wasm build: Lua, the 1M-member sorted set and the simulator timed
//! on wasm32 under Node, and the simulator in headless Chromium. The
//! figures come from `tests/bench-wasm` (ignored wasm-bindgen tests), which
//! this group builds with `cargo test --release --target
//! wasm32-unknown-unknown` (minutes the first time) and runs through
//! `wasm-bindgen-test-runner`; its lines `lockstep-bench NAME VALUE` are
//! read here. References are measured in the same run: PUC Lua 5.1 for the
//! scripts, our native build for the rest.

use std::collections::BTreeMap;
use std::process::Command;

use super::figure::{Better, Figure, Target};
use super::lua::{lua51_milliseconds, SCRIPTS};
use super::Bench;

pub fn run(bench: &mut Bench) -> Result<(), String> {
    bench.progress(
        "wasm: building tests/bench-wasm for wasm32 (release) and running it under Node — \
         minutes the first time",
    );
    let node = run_wasm_tests(false, None)?;
    bench.progress("wasm: the lua5.1 references");
    let lua51 = lua51_milliseconds()?;
    for ((name, _), reference) in SCRIPTS.iter().zip(lua51) {
        let key = format!("lua:{}:ms", name.replace(' ', "_"));
        bench.add(Figure {
            group: "wasm",
            name: format!("Lua {name}, wasm under Node"),
            unit: "ms",
            better: Better::Lower,
            ours: figure(&node, &key)?,
            reference_name: "PUC Lua 5.1 (lua5.1)".into(),
            reference,
            reference_unit: None,
            target: Some(Target::RatioAtLeast(0.5)),
        });
    }

    bench.progress("wasm: the native references (1M-member zset, simulator)");
    let native_zset = super::zset::native_timings(bench)?;
    let zset_rows = [
        (
            "insert",
            "s",
            "zset:insert:s",
            native_zset.insert_s,
            Some(Target::AtMost(2.0)),
        ),
        (
            "ZREVRANK p50",
            "µs",
            "zset:zrevrank:p50:us",
            native_zset.zrevrank.0,
            None,
        ),
        (
            "ZREVRANK p99",
            "µs",
            "zset:zrevrank:p99:us",
            native_zset.zrevrank.1,
            None,
        ),
        (
            "ZREVRANGE p50",
            "µs",
            "zset:zrevrange:p50:us",
            native_zset.zrevrange.0,
            None,
        ),
        (
            "ZREVRANGE p99",
            "µs",
            "zset:zrevrange:p99:us",
            native_zset.zrevrange.1,
            None,
        ),
    ];
    for (what, unit, key, reference, target) in zset_rows {
        bench.add(Figure {
            group: "wasm",
            name: format!("1M-member zset: {what}, wasm under Node"),
            unit,
            better: Better::Lower,
            ours: figure(&node, key)?,
            reference_name: "our native build".into(),
            reference,
            reference_unit: None,
            target,
        });
    }

    let native_scale = super::zset::native_scale(bench)?;
    let scale_rows = [
        (
            "ready (populate)",
            "s",
            "scale:ready:s",
            native_scale.ready_s,
            Target::AtMost(2.0),
        ),
        (
            "slowest step",
            "ms",
            "scale:step_max:ms",
            native_scale.step_max_ms,
            Target::AtMost(16.0),
        ),
    ];
    for (what, unit, key, reference, target) in scale_rows {
        bench.add(Figure {
            group: "wasm",
            name: format!("1M-member leaderboard scenario: {what}, wasm under Node"),
            unit,
            better: Better::Lower,
            ours: figure(&node, key)?,
            reference_name: "our native build".into(),
            reference,
            reference_unit: None,
            target: Some(target),
        });
    }

    let native_sim = super::sim::native_rates(bench)?;
    add_simulator_rows(bench, "wasm under Node", &node, native_sim)?;
    bench.progress("wasm: the simulator in headless Chromium (chromedriver)");
    // A browser that cannot start here should not cost the other figures.
    match run_wasm_tests(true, Some("simulator")) {
        Ok(browser) => add_simulator_rows(bench, "headless Chromium", &browser, native_sim)?,
        Err(message) => bench.note(&format!("no headless Chromium figures: {message}")),
    }
    Ok(())
}

fn add_simulator_rows(
    bench: &mut Bench,
    place: &str,
    figures: &BTreeMap<String, f64>,
    native: super::sim::Rates,
) -> Result<(), String> {
    bench.add(Figure {
        group: "wasm",
        name: format!("simulator, GC-pause story: events/s, {place}"),
        unit: "events/s",
        better: Better::Higher,
        ours: figure(figures, "sim:events_per_s")?,
        reference_name: "our native build".into(),
        reference: native.events_per_s,
        reference_unit: None,
        target: None,
    });
    bench.add(Figure {
        group: "wasm",
        name: format!("explorer, fenced GC-pause story: schedules/s, {place}"),
        unit: "schedules/s",
        better: Better::Higher,
        ours: figure(figures, "sim:schedules_per_s")?,
        reference_name: "our native build".into(),
        reference: native.schedules_per_s,
        reference_unit: None,
        target: (place == "headless Chromium").then_some(Target::AtLeast(5000.0)),
    });
    Ok(())
}

fn figure(figures: &BTreeMap<String, f64>, key: &str) -> Result<f64, String> {
    figures
        .get(key)
        .copied()
        .ok_or_else(|| format!("the wasm bench printed no '{key}'"))
}

/// Runs the tests of `tests/bench-wasm` whose names contain `filter` (all
/// without one) on wasm32, in headless Chromium if `browser`, else under
/// Node, and returns what they printed.
fn run_wasm_tests(browser: bool, filter: Option<&str>) -> Result<BTreeMap<String, f64>, String> {
    let mut command = Command::new("cargo");
    command
        .args(["test", "--release", "--target", "wasm32-unknown-unknown"])
        .args(["-p", "lockstep-bench-wasm", "--test", "wasm_bench", "--"])
        .args(["--include-ignored", "--nocapture"])
        .args(filter)
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER",
            "wasm-bindgen-test-runner",
        );
    if browser {
        command
            .env("WASM_BINDGEN_USE_BROWSER", "1")
            .env("CHROMEDRIVER", "/usr/bin/chromedriver");
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo for the wasm bench: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let figures = parse_figures(&text);
    if !output.status.success() || figures.is_empty() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(format!(
            "the wasm bench ({}) failed; the end of its output:\n{}\n{}",
            if browser { "headless Chromium" } else { "Node" },
            text.trim(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    Ok(figures)
}

/// The `lockstep-bench NAME VALUE` lines of a run.
pub fn parse_figures(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter_map(|line| {
            let rest = &line[line.find("lockstep-bench ")? + "lockstep-bench ".len()..];
            let mut words = rest.split_whitespace();
            let name = words.next()?;
            let value = words.next()?.parse().ok()?;
            Some((name.to_string(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figure_lines_are_read_wherever_the_runner_puts_them() {
        let text = "running 1 test\nlockstep-bench lua:numeric_loop:ms 123.5\n\
                    log output: lockstep-bench sim:events_per_s 4000\nnoise\n";
        let figures = parse_figures(text);
        assert_eq!(figures.len(), 2);
        assert_eq!(figures["lua:numeric_loop:ms"], 123.5);
        assert_eq!(figures["sim:events_per_s"], 4000.0);
    }
}
