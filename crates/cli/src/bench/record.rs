//! Writing a run down (`docs/benchmarks.md`, `docs/benchmarks.json`) and
//! checking a later run against it: the regression check fails when any
//! figure's ratio to its reference dropped by more than 30%.
//!
//! Ratios, not raw figures, are compared: both sides of a ratio ran in the
//! same run on the same machine, so a slower or busier machine does not
//! fail the check, while Lockstep getting slower does.

use std::path::Path;

use serde_json::{json, Value};

use super::figure::{markdown_table, Figure};
use super::BenchArgs;

/// Where the recorded run lives, relative to the repository root (the
/// directory `lockstep bench` runs in).
pub const MARKDOWN: &str = "docs/benchmarks.md";
pub const JSON: &str = "docs/benchmarks.json";

/// The generated part of the Markdown file sits between these lines; the
/// prose around them is kept.
const BEGIN: &str = "<!-- lockstep bench --record: begin -->";
const END: &str = "<!-- lockstep bench --record: end -->";

/// A later ratio below this share of the recorded one fails the check.
pub const KEEP: f64 = 0.7;

/// The machine a run was on, and how busy it was.
pub struct Machine {
    pub date: String,
    pub cpus: usize,
    pub cpu_model: String,
    pub load_at_start: String,
}

impl Machine {
    pub fn now() -> Machine {
        let date = std::process::Command::new("date")
            .args(["-u", "+%Y-%m-%d %H:%M UTC"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split(':').nth(1))
                    .map(|m| m.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        Machine {
            date,
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            load_at_start: load_average(),
        }
    }
}

/// The 1, 5 and 15 minute load averages (`uptime`'s).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn to_json(figures: &[Figure], machine: &Machine) -> Value {
    json!({
        "date": machine.date,
        "cpus": machine.cpus,
        "cpu_model": machine.cpu_model,
        "load_at_start": machine.load_at_start,
        "load_at_end": load_average(),
        "figures": figures.iter().map(Figure::to_json).collect::<Vec<_>>(),
    })
}

pub fn write_json(path: &Path, figures: &[Figure], machine: &Machine) -> Result<(), String> {
    let text = serde_json::to_string_pretty(&to_json(figures, machine))
        .map_err(|e| format!("cannot write JSON: {e}"))?;
    std::fs::write(path, text + "\n").map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes the run into [`MARKDOWN`] (between its markers) and [`JSON`].
pub fn record(
    figures: &[Figure],
    notes: &[String],
    machine: &Machine,
    args: &BenchArgs,
) -> Result<(), String> {
    if args.only.is_some() {
        return Err("--record wants every group; run it without --only".into());
    }
    write_json(Path::new(JSON), figures, machine)?;
    let cpus = machine.cpus;
    let loaded = machine
        .load_at_start
        .split_whitespace()
        .next()
        .and_then(|l| l.parse::<f64>().ok())
        .is_some_and(|load| load >= cpus as f64 * 0.5);
    let mut section = format!(
        "{BEGIN}\n\nRecorded {} on {} ({cpus} CPUs) with \
         `target/release-native/lockstep bench --record`.\n\
         Load average (1, 5, 15 min) at the start: {}; at the end: {}.{}\n\n",
        machine.date,
        machine.cpu_model,
        machine.load_at_start,
        load_average(),
        if loaded {
            " The machine was loaded by other work during the run, so absolute \
             figures are low; the ratios compare sides measured under the same load."
        } else {
            ""
        }
    );
    section.push_str(&markdown_table(figures));
    for note in notes {
        section.push_str(&format!("\nChecked in this run: {note}.\n"));
    }
    section.push_str(&format!("\n{END}"));
    let existing = std::fs::read_to_string(MARKDOWN).unwrap_or_default();
    let updated = match (existing.find(BEGIN), existing.find(END)) {
        (Some(begin), Some(end)) if begin < end => format!(
            "{}{section}{}",
            &existing[..begin],
            &existing[end + END.len()..]
        ),
        _ => format!("# Benchmarks\n\n{section}\n"),
    };
    std::fs::write(MARKDOWN, updated).map_err(|e| format!("cannot write {MARKDOWN}: {e}"))
}

/// Compares `figures` with the recorded run: Ok with a report when no ratio
/// fell below [`KEEP`] of its recorded value, Err with the report otherwise.
pub fn check(figures: &[Figure]) -> Result<String, String> {
    let text = std::fs::read_to_string(JSON)
        .map_err(|e| format!("cannot read {JSON} (record a run first): {e}\n"))?;
    let recorded: Value =
        serde_json::from_str(&text).map_err(|e| format!("{JSON} is not valid JSON: {e}\n"))?;
    compare(figures, &recorded)
}

/// The check itself, on a parsed recording.
pub fn compare(figures: &[Figure], recorded: &Value) -> Result<String, String> {
    let empty = Vec::new();
    let recorded_figures = recorded["figures"].as_array().unwrap_or(&empty);
    let mut report = String::new();
    let mut regressed = 0;
    let mut compared = 0;
    for figure in figures {
        let Some(before) = recorded_figures
            .iter()
            .find(|r| r["name"].as_str() == Some(figure.name.as_str()))
            .and_then(|r| r["ratio"].as_f64())
        else {
            report.push_str(&format!("new (not in {JSON}): {}\n", figure.name));
            continue;
        };
        compared += 1;
        let now = figure.ratio();
        if now < before * KEEP {
            regressed += 1;
            report.push_str(&format!(
                "REGRESSED: {}: ratio {now:.2}× now, {before:.2}× recorded (more than {:.0}% lower)\n",
                figure.name,
                (1.0 - KEEP) * 100.0
            ));
        }
    }
    report.push_str(&format!(
        "regression check: {compared} figures compared with {JSON}, {regressed} fell by more than {:.0}%\n",
        (1.0 - KEEP) * 100.0
    ));
    if regressed == 0 {
        Ok(report)
    } else {
        Err(report)
    }
}

#[cfg(test)]
mod tests {
    use super::super::figure::Better;
    use super::*;

    fn figure(name: &str, ours: f64) -> Figure {
        Figure {
            group: "test",
            name: name.into(),
            unit: "ops/s",
            better: Better::Higher,
            ours,
            reference_name: "ref".into(),
            reference: 100.0,
            reference_unit: None,
            target: None,
        }
    }

    #[test]
    fn a_ratio_down_by_more_than_thirty_percent_fails() {
        let recorded =
            json!({ "figures": [figure("a", 100.0).to_json(), figure("b", 100.0).to_json()] });
        assert!(compare(&[figure("a", 71.0), figure("b", 250.0)], &recorded).is_ok());
        let report = compare(&[figure("a", 69.0), figure("b", 100.0)], &recorded)
            .expect_err("a fell by 31%");
        assert!(report.contains("REGRESSED: a:"), "{report}");
        assert!(!report.contains("REGRESSED: b"), "{report}");
    }

    #[test]
    fn figures_not_recorded_are_reported_not_failed() {
        let recorded = json!({ "figures": [] });
        let report = compare(&[figure("new one", 1.0)], &recorded).expect("nothing to compare");
        assert!(report.contains("new (not in"), "{report}");
    }
}
