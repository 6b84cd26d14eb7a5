//! `lockstep run` and `lockstep explore` as a user meets them: the
//! timeline and verdicts, the trace file, one step, and clear failures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lockstep(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockstep"))
        .args(args)
        .output()
        .expect("run the lockstep binary")
}

fn story(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../lessons/stories")
        .join(format!("{name}.toml"))
        .display()
        .to_string()
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lockstep-cli-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn run_prints_the_timeline_and_verdicts_and_writes_the_trace() {
    let trace_path = temp_file("trace.json", "");
    let out = lockstep(&[
        "run",
        &story("gc_pause_past_ttl"),
        "--seed",
        "3",
        "--trace",
        trace_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(seed 3)"));
    assert!(
        stdout.contains("│ client-1"),
        "one column per actor:\n{stdout}"
    );
    assert!(stdout.contains("PAUSED for 15000 ms"));
    assert!(stdout.contains("VIOLATED  mutual_exclusion(report)"));
    let json = std::fs::read_to_string(&trace_path).unwrap();
    let trace: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(trace["seed"], 3);
    assert!(trace["events"].as_array().unwrap().len() > 50);
}

#[test]
fn run_step_draws_the_world_at_one_event() {
    let out = lockstep(&["run", &story("restart_with_aof"), "--step", "3"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("Step #3 of "), "{stdout}");
    assert!(stdout.contains("redis (primary, up)"), "{stdout}");
    let past_the_end = lockstep(&["run", &story("restart_with_aof"), "--step", "999999"]);
    assert_eq!(past_the_end.status.code(), Some(1));
    assert!(text(&past_the_end.stderr).contains("there is no event #999999"));
}

#[test]
fn a_bad_scenario_file_exits_non_zero_with_a_clear_message() {
    let missing = lockstep(&["run", "/nonexistent/scenario.toml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(text(&missing.stderr).contains("cannot read /nonexistent/scenario.toml"));

    let broken = temp_file(
        "broken.toml",
        "[[node]]\nname = \"n\"\n[[client]]\nname = \"c\"\nnode = \"m\"\nprogram = \"\"\n",
    );
    let out = lockstep(&["run", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("node = \"m\" is not a node (nodes: n)"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let garbage = temp_file("garbage.toml", "\u{0}\u{1}not toml at all [[[");
    let out = lockstep(&["run", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("TOML parse error"),
        "{}",
        text(&out.stderr)
    );

    let usage = lockstep(&["run", &story("clock_jump"), "--seed", "minus one"]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(text(&usage.stderr).contains("--seed wants a whole number"));
}

#[test]
fn explore_finds_and_prints_the_shortest_failing_schedule() {
    let scenario = std::fs::read_to_string(story("gc_pause_past_ttl")).unwrap();
    // The same story without its scripted pause: the explorer must find it.
    let without_fault = scenario.split("[[fault]]").next().unwrap().to_string()
        + "[[invariant]]\nkind = \"mutual_exclusion\"\nname = \"report\"\n";
    let path = temp_file("unfaulted.toml", &without_fault);
    let out = lockstep(&[
        "explore",
        path.to_str().unwrap(),
        "--budget",
        "kinds=pause+kill,schedules=500",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Shortest failing schedule found (1 fault(s)"),
        "{stdout}"
    );
    assert!(stdout.contains("pause client-1 for"), "{stdout}");
    let bad_budget = lockstep(&["explore", path.to_str().unwrap(), "--budget", "kinds=nap"]);
    assert_eq!(bad_budget.status.code(), Some(2));
    assert!(text(&bad_budget.stderr).contains("'nap' is not one of"));
}

/// The faults `lockstep explore` prints under "Shortest failing schedule".
fn printed_faults(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with("Shortest failing schedule found"))
        .skip(1)
        .take_while(|l| l.starts_with("  - "))
        .map(|l| l.trim_start_matches("  - ").to_string())
        .collect()
}

#[test]
fn explore_answers_as_the_page_does_with_the_same_policy() {
    use lockstep_sim::explore::{Explorer, Finding, OwnFaults, SearchSetup};
    let file = story("gc_pause_past_ttl");
    let scenario = lockstep_lessons::scenario(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for (own, flags) in [
        (OwnFaults::TakeOut, &[][..]),
        (OwnFaults::Keep, &["--keep-own-faults"][..]),
    ] {
        // The shared policy, as the page's "Break it" runs it.
        let setup = SearchSetup::new(&scenario, own);
        let explorer = Explorer::new(&setup.scenario, setup.budget.clone(), scenario.seed).unwrap();
        let shared = match explorer.run(100, |_| true) {
            Finding::Violation(found) => found.faults,
            Finding::NoViolation(coverage) => panic!("{own:?}: {}", coverage.statement()),
        };
        let mut args = vec!["explore", file.as_str()];
        args.extend(flags);
        let out = lockstep(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert_eq!(printed_faults(&stdout), shared, "{own:?}: {stdout}");
        match own {
            // The explorer finds the story's pause on its own...
            OwnFaults::TakeOut => assert!(!shared.is_empty(), "{stdout}"),
            // ...or, with the story's pause kept, needs nothing more.
            OwnFaults::Keep => assert!(
                stdout.contains("It fails with no faults beyond the scenario's own 1"),
                "{stdout}"
            ),
        }
    }
}

#[test]
fn run_takes_a_story_by_name_from_the_catalogue() {
    let by_name = lockstep(&["run", "gc_pause_past_ttl"]);
    assert!(by_name.status.success(), "{}", text(&by_name.stderr));
    let by_file = lockstep(&["run", &story("gc_pause_past_ttl")]);
    assert_eq!(text(&by_name.stdout), text(&by_file.stdout));
    let unknown = lockstep(&["run", "no_such_story"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(text(&unknown.stderr).contains("nor is it a story: "));
}

fn scenario_file(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sim/tests/scenarios")
        .join(format!("{name}.toml"))
        .display()
        .to_string()
}

#[test]
fn run_compare_measures_two_variants_on_one_seed() {
    let out = lockstep(&[
        "run",
        &scenario_file("stampede_no_lock"),
        "--compare",
        &scenario_file("stampede_rebuild_lock"),
        "--metric",
        "count(db query)",
        "--metric",
        "max(wait, db)",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let row = |name: &str| -> Vec<String> {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no row {name}:\n{stdout}"));
        line[name.len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    // Six readers: all six query without the lock, one with it.
    assert_eq!(row("count(db query)"), ["6", "1", "-5"]);
    let waits = row("max(wait, db)");
    assert_ne!(waits[0], "0", "two connections, six queries: some wait");
    assert_eq!(waits[1], "0");
    let bad = lockstep(&[
        "run",
        &scenario_file("stampede_no_lock"),
        "--metric",
        "p99(x)",
    ]);
    assert!(!bad.status.success());
    assert!(text(&bad.stderr).contains("`x` is not a quantity"));
}
