//! `lockstep run FILE [--seed N] [--trace OUT.json] [--step N]`: plays a
//! scenario and prints its timeline and verdicts, or the world at one step.
//! `--metric M` (repeatable) prints measurements of the run instead;
//! `--compare OTHER` runs a variant on the same seed and prints both
//! runs' metrics side by side.

use std::process::ExitCode;

/// What `run` was asked to do.
pub struct RunArgs {
    pub file: String,
    pub seed: Option<u64>,
    pub trace: Option<String>,
    /// Print the world at this event instead of the whole timeline.
    pub step: Option<u64>,
    /// Metrics to print (`--metric`, repeatable).
    pub metrics: Vec<String>,
    /// A variant to run on the same seed and compare metric by metric.
    pub compare: Option<String>,
}

impl RunArgs {
    pub fn parse(args: &[String]) -> Result<RunArgs, String> {
        let mut file = None;
        let mut seed = None;
        let mut trace = None;
        let mut step = None;
        let mut metrics = Vec::new();
        let mut compare = None;
        let mut rest = args.iter();
        while let Some(arg) = rest.next() {
            match arg.as_str() {
                "--seed" => {
                    let value = rest.next().ok_or("--seed wants a number")?;
                    seed =
                        Some(value.parse().map_err(|_| {
                            format!("--seed wants a whole number ≥ 0, got '{value}'")
                        })?);
                }
                "--step" => {
                    let value = rest.next().ok_or("--step wants an event number")?;
                    step = Some(
                        value
                            .parse()
                            .map_err(|_| format!("--step wants an event number, got '{value}'"))?,
                    );
                }
                "--trace" => trace = Some(rest.next().ok_or("--trace wants a file name")?.clone()),
                "--metric" => {
                    let text = rest.next().ok_or("--metric wants an expression")?;
                    lockstep_sim::metric::Metric::parse(text)?;
                    metrics.push(text.clone());
                }
                "--compare" => {
                    compare = Some(
                        rest.next()
                            .ok_or("--compare wants a scenario file")?
                            .clone(),
                    )
                }
                flag if flag.starts_with('-') => return Err(format!("unexpected option '{flag}'")),
                path if file.is_none() => file = Some(path.to_string()),
                extra => return Err(format!("unexpected argument '{extra}'")),
            }
        }
        Ok(RunArgs {
            file: file.ok_or("no scenario file given")?,
            seed,
            trace,
            step,
            metrics,
            compare,
        })
    }
}

/// Reads and checks a scenario file, with the shared libraries — or, when no such file exists, the shipped story
/// of that name (`gc_pause_past_ttl`), from the one catalogue.
pub fn load(file: &str) -> Result<lockstep_sim::Scenario, String> {
    let path = std::path::Path::new(file);
    if !path.exists() {
        if let Some(story) = lockstep_lessons::stories::find(file) {
            return story.scenario().map_err(|e| format!("story {file}: {e}"));
        }
    }
    let text = std::fs::read_to_string(file).map_err(|e| {
        let names: Vec<&str> = lockstep_lessons::stories::catalogue()
            .iter()
            .map(|s| s.name)
            .collect();
        format!(
            "cannot read {file}: {e} (nor is it a story: {})",
            names.join(", ")
        )
    })?;
    lockstep_lessons::scenario(&text).map_err(|e| format!("{file}: {e}"))
}

pub fn main(args: &[String]) -> ExitCode {
    let args = match RunArgs::parse(args) {
        Ok(args) => args,
        Err(message) => return crate::usage_error("run", &message),
    };
    let scenario = match load(&args.file) {
        Ok(scenario) => scenario,
        Err(message) => {
            eprintln!("lockstep run: {message}");
            return ExitCode::from(1);
        }
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    let trace = match lockstep_sim::run(&scenario, seed) {
        Ok(trace) => trace,
        Err(message) => {
            eprintln!("lockstep run: {message}");
            return ExitCode::from(1);
        }
    };
    if let Some(other) = &args.compare {
        return compare(&args, &scenario, &trace, other, seed);
    }
    if !args.metrics.is_empty() {
        for source in &args.metrics {
            let value = lockstep_sim::metric::evaluate(source, &trace).unwrap_or(None);
            println!("{source} = {}", shown(value));
        }
        return ExitCode::SUCCESS;
    }
    match args.step {
        None => print!("{}", lockstep_sim::timeline::render(&trace)),
        Some(seq) => match lockstep_sim::timeline::render_step(&trace, seq) {
            Ok(text) => print!("{text}"),
            Err(message) => {
                eprintln!("lockstep run: {message}");
                return ExitCode::from(1);
            }
        },
    }
    if let Some(path) = &args.trace {
        if let Err(e) = std::fs::write(path, trace.to_json()) {
            eprintln!("lockstep run: cannot write the trace to {path}: {e}");
            return ExitCode::from(1);
        }
        println!("Trace written to {path} ({} events).", trace.events.len());
    }
    ExitCode::SUCCESS
}

/// `--compare`: the other scenario on the same seed, and a table of the
/// metrics asked for — or both scenarios' `[[metric]]`s, or a default set.
fn compare(
    args: &RunArgs,
    scenario: &lockstep_sim::Scenario,
    trace: &lockstep_sim::Trace,
    other: &str,
    seed: u64,
) -> ExitCode {
    let variant = match load(other) {
        Ok(variant) => variant,
        Err(message) => {
            eprintln!("lockstep run: {message}");
            return ExitCode::from(1);
        }
    };
    let other_trace = match lockstep_sim::run(&variant, seed) {
        Ok(trace) => trace,
        Err(message) => {
            eprintln!("lockstep run: {other}: {message}");
            return ExitCode::from(1);
        }
    };
    let mut sources: Vec<String> = args.metrics.clone();
    if sources.is_empty() {
        for spec in scenario.metrics.iter().chain(&variant.metrics) {
            let query = spec.query.trim().to_string();
            if !sources.contains(&query) {
                sources.push(query);
            }
        }
    }
    if sources.is_empty() {
        sources = lockstep_sim::metric::DEFAULT_COMPARISON
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    let metrics: Vec<lockstep_sim::metric::Metric> = sources
        .iter()
        .filter_map(|s| lockstep_sim::metric::Metric::parse(s).ok())
        .collect();
    let rows = lockstep_sim::metric::compare(&metrics, trace, &other_trace);
    let width = rows
        .iter()
        .map(|r| r.metric.chars().count())
        .max()
        .unwrap_or(6);
    println!("Seed {seed}: A = {}, B = {other}", args.file);
    println!(
        "{:width$}  {:>12}  {:>12}  {:>12}",
        "metric", "A", "B", "B - A"
    );
    for row in rows {
        let change = match (row.a, row.b) {
            (Some(a), Some(b)) => lockstep_sim::metric::number(b - a),
            _ => "-".into(),
        };
        println!(
            "{:width$}  {:>12}  {:>12}  {:>12}",
            row.metric,
            shown(row.a),
            shown(row.b),
            change
        );
    }
    ExitCode::SUCCESS
}

/// A metric's value, or `-` when the run had nothing to measure.
fn shown(value: Option<f64>) -> String {
    value.map_or("-".into(), lockstep_sim::metric::number)
}
