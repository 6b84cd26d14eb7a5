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
///
/// A run of every group replaces the whole recording. A run of some groups
/// (`--only web --record`) replaces only those groups' figures in [`JSON`]
/// and writes their table in a section of its own, with its own date and
/// machine, so a slow group can be recorded without the others.
pub fn record(
    figures: &[Figure],
    notes: &[String],
    machine: &Machine,
    args: &BenchArgs,
) -> Result<(), String> {
    let existing_markdown = std::fs::read_to_string(MARKDOWN).unwrap_or_default();
    let updated = match &args.only {
        None => {
            write_json(Path::new(JSON), figures, machine)?;
            // The groups' own sections would now repeat older figures.
            let mut text = existing_markdown;
            for (group, _) in super::GROUPS {
                let (begin, end) = group_markers(group);
                text = remove_section(&text, &begin, &end);
            }
            let command = "target/release-native/lockstep bench --record";
            replace_section(
                &text,
                BEGIN,
                END,
                &section(figures, notes, machine, command),
            )
        }
        Some(groups) => {
            let recorded = std::fs::read_to_string(JSON)
                .ok()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok())
                .unwrap_or_else(|| to_json(&[], machine));
            let merged = merge(recorded, figures, groups);
            let text = serde_json::to_string_pretty(&merged)
                .map_err(|e| format!("cannot write JSON: {e}"))?;
            std::fs::write(JSON, text + "\n").map_err(|e| format!("cannot write {JSON}: {e}"))?;
            let mut text = existing_markdown;
            for group in groups {
                let (begin, end) = group_markers(group);
                let theirs: Vec<Figure> = figures
                    .iter()
                    .filter(|f| f.group == group.as_str())
                    .cloned()
                    .collect();
                // Only the web group may be recorded by a debug build (its
                // figures come from Chromium): say which binary ran.
                let binary = if cfg!(debug_assertions) {
                    "target/debug/lockstep"
                } else {
                    "target/release-native/lockstep"
                };
                let command = format!("{binary} bench --only {group} --record");
                let body = section(&theirs, notes, machine, &command);
                text = replace_section(&text, &begin, &end, &body);
            }
            text
        }
    };
    std::fs::write(MARKDOWN, updated).map_err(|e| format!("cannot write {MARKDOWN}: {e}"))
}

/// A recorded table with when, where and how it was measured.
fn section(figures: &[Figure], notes: &[String], machine: &Machine, command: &str) -> String {
    let mut section = format!(
        "\n\nRecorded {} on {} ({} CPUs) with `{command}`.\n\
         Load average (1, 5, 15 min) at the start: {}; at the end: {}.{}\n\n",
        machine.date,
        machine.cpu_model,
        machine.cpus,
        machine.load_at_start,
        load_average(),
        if was_loaded(machine) {
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
    section
}

fn was_loaded(machine: &Machine) -> bool {
    machine
        .load_at_start
        .split_whitespace()
        .next()
        .and_then(|l| l.parse::<f64>().ok())
        .is_some_and(|load| load >= machine.cpus as f64 * 0.5)
}

/// The lines around a group's own section in [`MARKDOWN`].
fn group_markers(group: &str) -> (String, String) {
    (
        format!("<!-- lockstep bench --only {group} --record: begin -->"),
        format!("<!-- lockstep bench --only {group} --record: end -->"),
    )
}

/// `text` with what lies between `begin` and `end` replaced by `body`
/// (markers kept); the section is appended when the markers are missing.
fn replace_section(text: &str, begin: &str, end: &str, body: &str) -> String {
    match (text.find(begin), text.find(end)) {
        (Some(b), Some(e)) if b < e => {
            format!(
                "{}{begin}{body}\n{end}{}",
                &text[..b],
                &text[e + end.len()..]
            )
        }
        _ if text.trim().is_empty() => format!("# Benchmarks\n\n{begin}{body}\n{end}\n"),
        _ => format!("{}\n\n{begin}{body}\n{end}\n", text.trim_end()),
    }
}

/// `text` without the section between `begin` and `end` (markers too).
fn remove_section(text: &str, begin: &str, end: &str) -> String {
    match (text.find(begin), text.find(end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{}", text[..b].trim_end(), &text[e + end.len()..])
        }
        _ => text.to_string(),
    }
}

/// The recording with the figures of `groups` replaced by `figures`' (the
/// other groups' figures, and the recording's machine and date, kept).
fn merge(mut recorded: Value, figures: &[Figure], groups: &[String]) -> Value {
    let mut kept: Vec<Value> = recorded["figures"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|f| {
            !groups
                .iter()
                .any(|g| f["group"].as_str() == Some(g.as_str()))
        })
        .collect();
    kept.extend(figures.iter().map(Figure::to_json));
    recorded["figures"] = Value::Array(kept);
    recorded
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
    fn recording_some_groups_replaces_only_their_figures() {
        let mut old_web = figure("web one", 1.0);
        old_web.group = "web";
        let recorded =
            json!({ "date": "then", "figures": [figure("a", 100.0).to_json(), old_web.to_json()] });
        let mut new_web = figure("web two", 5.0);
        new_web.group = "web";
        let merged = merge(recorded, &[new_web], &["web".to_string()]);
        let names: Vec<&str> = merged["figures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "web two"]);
        assert_eq!(merged["date"], "then");
    }

    #[test]
    fn a_section_is_replaced_in_place_or_appended_and_can_be_removed() {
        let text = "# B\n\nprose\n<!-- s -->\nold\n<!-- e -->\nafter\n";
        let replaced = replace_section(text, "<!-- s -->", "<!-- e -->", "\nnew");
        assert_eq!(
            replaced,
            "# B\n\nprose\n<!-- s -->\nnew\n<!-- e -->\nafter\n"
        );
        let appended = replace_section("# B\n", "<!-- x -->", "<!-- y -->", "\nbody");
        assert_eq!(appended, "# B\n\n<!-- x -->\nbody\n<!-- y -->\n");
        assert_eq!(
            remove_section(&replaced, "<!-- s -->", "<!-- e -->"),
            "# B\n\nprose\nafter\n"
        );
    }

    #[test]
    fn figures_not_recorded_are_reported_not_failed() {
        let recorded = json!({ "figures": [] });
        let report = compare(&[figure("new one", 1.0)], &recorded).expect("nothing to compare");
        assert!(report.contains("new (not in"), "{report}");
    }
}
