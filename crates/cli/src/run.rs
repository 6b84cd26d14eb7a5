//! `lockstep run FILE [--seed N] [--trace OUT.json] [--step N]`: plays a
//! scenario and prints its timeline and verdicts, or the world at one step.

use std::process::ExitCode;

/// What `run` was asked to do.
pub struct RunArgs {
    pub file: String,
    pub seed: Option<u64>,
    pub trace: Option<String>,
    /// Print the world at this event instead of the whole timeline.
    pub step: Option<u64>,
}

impl RunArgs {
    pub fn parse(args: &[String]) -> Result<RunArgs, String> {
        let mut file = None;
        let mut seed = None;
        let mut trace = None;
        let mut step = None;
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
