//! The web app in headless Chromium: the bytes a first visit fetches before
//! the home is interactive, how long that takes on loopback, and how long
//! jumping to an arbitrary step of a 100,000-event run takes in the lab.
//!
//! The group builds the page (`trunk build --release --offline`, minutes
//! the first time) and runs `tests/bench-web/measure.mjs` (Playwright on
//! Debian's Chromium), whose `lockstep-bench NAME VALUE` lines it reads.
//! References come from the same run: opening a lesson (the whole app, its
//! worker and a run) for the first screen's bytes and time, and the same
//! jump on the GC-pause story's short run for the step jump.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use super::figure::{Better, Figure, Target};
use super::wasm::parse_figures;
use super::Bench;

/// The first screen's targets: gzipped KB, and ms to interactive.
const FIRST_SCREEN_KB: f64 = 400.0;
const FIRST_SCREEN_MS: f64 = 1000.0;
/// One frame at 60 Hz: a step jump should never drop one.
const JUMP_MS: f64 = 16.0;

pub fn run(bench: &mut Bench) -> Result<(), String> {
    bench.progress("web: building the page (trunk build --release) — minutes the first time");
    build_page()?;
    bench.progress("web: first screen, a lesson and step jumps in headless Chromium");
    let measured = measure()?;
    let get = |key: &str| {
        measured
            .get(key)
            .copied()
            .ok_or_else(|| format!("the web bench printed no '{key}'"))
    };
    bench.add(Figure {
        group: "web",
        name: "first screen (home), gzip bytes fetched".into(),
        unit: "KB",
        better: Better::Lower,
        ours: get("web:first_screen:gzip_kb")?,
        reference_name: "opening a lesson: whole app, worker, run".into(),
        reference: get("web:lesson:gzip_kb")?,
        reference_unit: None,
        target: Some(Target::AtMost(FIRST_SCREEN_KB)),
    });
    bench.add(Figure {
        group: "web",
        name: "first screen (home), time to interactive".into(),
        unit: "ms",
        better: Better::Lower,
        ours: get("web:first_screen:ms")?,
        reference_name: "opening a lesson to its run".into(),
        reference: get("web:lesson:ms")?,
        reference_unit: None,
        target: Some(Target::AtMost(FIRST_SCREEN_MS)),
    });
    let events = get("web:jump_100k:events")?;
    let small = get("web:jump_small:p50_ms")?;
    let small_events = get("web:jump_small:events")?;
    for (what, key) in [
        ("p50", "web:jump_100k:p50_ms"),
        ("max", "web:jump_100k:max_ms"),
    ] {
        bench.add(Figure {
            group: "web",
            name: format!("lab step jump, {events:.0}-event run, {what}"),
            unit: "ms",
            better: Better::Lower,
            ours: get(key)?,
            reference_name: format!("p50 on the GC-pause story's {small_events:.0} events"),
            reference: small,
            reference_unit: None,
            target: Some(Target::AtMost(JUMP_MS)),
        });
    }
    Ok(())
}

/// Builds dist/ as `./test.sh build` does, with the tools `scripts/install.sh`
/// puts on PATH (wasm-opt from node_modules).
fn build_page() -> Result<(), String> {
    let path = format!(
        "{}:node_modules/.bin:{}",
        std::env::var("CARGO_HOME")
            .map(|h| format!("{h}/bin"))
            .unwrap_or_else(|_| format!(
                "{}/.cargo/bin",
                std::env::var("HOME").unwrap_or_default()
            )),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("trunk")
        .args(["build", "--release", "--offline"])
        .env("PATH", path)
        .output()
        .map_err(|e| format!("cannot run trunk (run ./test.sh build once to install it): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "trunk build failed:\n{}",
            tail(&String::from_utf8_lossy(&output.stderr))
        ));
    }
    Ok(())
}

fn measure() -> Result<BTreeMap<String, f64>, String> {
    let script = Path::new("tests/bench-web/measure.mjs");
    let output = Command::new("node")
        .arg(script)
        .output()
        .map_err(|e| format!("cannot run node {}: {e}", script.display()))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let figures = parse_figures(&text);
    if !output.status.success() || figures.is_empty() {
        return Err(format!(
            "{} failed:\n{}\n{}",
            script.display(),
            text.trim(),
            tail(&String::from_utf8_lossy(&output.stderr))
        ));
    }
    Ok(figures)
}

/// The last lines of a tool's output, for an error message.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().rev().take(15).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}
