//! `lockstep explore FILE [--budget K=V,...] [--seed N] [--trace OUT.json]
//! [--keep-own-faults]`: searches fault schedules for a violation and
//! prints the shortest failing timeline found, or what was covered without
//! finding one. The scenario's own faults are taken out first, as the web
//! page's "Break it" does (the simulator's one policy, [`OwnFaults`]);
//! `--keep-own-faults` keeps them in every run instead.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use lockstep_sim::explore::{Explorer, Finding, OwnFaults, SearchSetup};

pub fn main(args: &[String]) -> ExitCode {
    let mut file = None;
    let mut seed = None;
    let mut budget_text = None;
    let mut trace_path = None;
    let mut own = OwnFaults::TakeOut;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let parsed: Result<(), String> = match arg.as_str() {
            "--seed" => rest
                .next()
                .and_then(|v| v.parse().ok())
                .map(|v| seed = Some(v))
                .ok_or_else(|| "--seed wants a whole number ≥ 0".to_string()),
            "--budget" => rest
                .next()
                .map(|v| budget_text = Some(v.clone()))
                .ok_or_else(|| {
                    "--budget wants key=value items, e.g. faults=2,schedules=5000".to_string()
                }),
            "--trace" => rest
                .next()
                .map(|v| trace_path = Some(v.clone()))
                .ok_or_else(|| "--trace wants a file name".to_string()),
            "--keep-own-faults" => {
                own = OwnFaults::Keep;
                Ok(())
            }
            flag if flag.starts_with('-') => Err(format!("unexpected option '{flag}'")),
            path if file.is_none() => {
                file = Some(path.to_string());
                Ok(())
            }
            extra => Err(format!("unexpected argument '{extra}'")),
        };
        if let Err(message) = parsed {
            return crate::usage_error("explore", &message);
        }
    }
    let Some(file) = file else {
        return crate::usage_error("explore", "no scenario file given");
    };
    let scenario = match crate::run::load(&file) {
        Ok(scenario) => scenario,
        Err(message) => {
            eprintln!("lockstep explore: {message}");
            return ExitCode::from(1);
        }
    };
    let SearchSetup {
        scenario,
        mut budget,
        removed,
        kept,
        ..
    } = SearchSetup::new(&scenario, own);
    if let Some(text) = &budget_text {
        if let Err(message) = budget.apply_overrides(text) {
            return crate::usage_error("explore", &message);
        }
    }
    let seed = seed.unwrap_or(scenario.seed);
    println!(
        "Exploring {file} (seed {seed}): {}",
        budget.describe(scenario.duration_ms)
    );
    if !removed.is_empty() {
        println!(
            "The scenario's own faults are taken out ({}); --keep-own-faults keeps them.",
            removed.join("; ")
        );
    }
    if !kept.is_empty() {
        println!(
            "The scenario's own faults stay in every run ({}); the explorer adds its faults \
             to them.",
            kept.join("; ")
        );
    }
    let scripted = kept.len();
    let started = Instant::now();
    let explorer = match Explorer::new(&scenario, budget, seed) {
        Ok(explorer) => explorer,
        Err(message) => {
            eprintln!("lockstep explore: {message}");
            return ExitCode::from(1);
        }
    };
    let live = std::io::stderr().is_terminal();
    let finding = explorer.run(50, |progress| {
        if live {
            let rate = progress.tried as f64 / started.elapsed().as_secs_f64().max(1e-9);
            eprint!(
                "\r{:>7} / {} schedules, {} struck ({:.0}/s, {:?})   ",
                progress.tried, progress.planned, progress.struck, rate, progress.phase
            );
            let _ = std::io::stderr().flush();
        }
        true
    });
    if live {
        eprintln!();
    }
    let seconds = started.elapsed().as_secs_f64();
    match finding {
        Finding::Violation(found) => {
            print!("{}", lockstep_sim::timeline::render(&found.trace));
            println!();
            if found.faults.is_empty() && scripted > 0 {
                println!(
                    "It fails with no faults beyond the scenario's own {scripted} (seed {}).",
                    found.seed
                );
            } else if found.faults.is_empty() {
                println!("It fails with no faults at all (seed {}).", found.seed);
            } else {
                println!(
                    "Shortest failing schedule found ({} fault(s), seed {}):",
                    found.faults.len(),
                    found.seed
                );
                for fault in &found.faults {
                    println!("  - {fault}");
                }
            }
            println!(
                "Found after {} schedule(s), shrunk in {} more, {seconds:.1} s in all.",
                found.found_after, found.shrink_runs
            );
            if let Some(path) = &trace_path {
                if let Err(e) = std::fs::write(path, found.trace.to_json()) {
                    eprintln!("lockstep explore: cannot write the trace to {path}: {e}");
                    return ExitCode::from(1);
                }
                println!("Trace written to {path}.");
            }
        }
        Finding::NoViolation(coverage) => {
            println!("{}", coverage.statement());
            println!("({seconds:.1} s)");
        }
    }
    ExitCode::SUCCESS
}
