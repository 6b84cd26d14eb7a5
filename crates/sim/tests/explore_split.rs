//! A search split across workers ([`Share`]) gives the single search's
//! answer: the same counterexample (faults, seed, trace, where it was found)
//! or the same coverage, whatever the number of shares and whichever share
//! happens to finish first.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lockstep_sim::explore::{decide, Coverage, Decision, Explorer, Finding, Share};
use lockstep_sim::Scenario;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn libraries() -> BTreeMap<String, String> {
    let mut libraries = BTreeMap::new();
    for entry in std::fs::read_dir(workspace().join("lessons/lib")).expect("lessons/lib") {
        let path = entry.expect("lessons/lib entry").path();
        if path.extension().is_some_and(|e| e == "lua") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            libraries.insert(stem, std::fs::read_to_string(&path).unwrap());
        }
    }
    libraries
}

fn load(file: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/explore")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    Scenario::parse_with_libraries(&text, &libraries()).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// The single search, as the command line runs it.
fn single(scenario: &Scenario) -> Finding {
    let budget = scenario.explore.clone().unwrap();
    Explorer::new(scenario, budget, scenario.seed)
        .unwrap()
        .run(100, |_| true)
}

/// The split search as the page runs it: each share steps on its own (the
/// shares run at different speeds, as workers do), and the answer is taken
/// as soon as [`decide`] settles it; the other shares are then stopped.
fn split(scenario: &Scenario, of: u32) -> Finding {
    let budget = scenario.explore.clone().unwrap();
    let mut shares: Vec<Explorer> = Share::split(of)
        .into_iter()
        .map(|share| Explorer::new_share(scenario, budget.clone(), scenario.seed, share).unwrap())
        .collect();
    let mut round = 0u64;
    loop {
        let states: Vec<_> = shares.iter().map(Explorer::share_state).collect();
        match decide(&states) {
            Decision::Open => {}
            Decision::Violation { share } => return shares.swap_remove(share).into_finding(),
            Decision::NoViolation => {
                let coverages: Vec<Coverage> = shares
                    .into_iter()
                    .map(|s| match s.into_finding() {
                        Finding::NoViolation(coverage) => coverage,
                        Finding::Violation(_) => panic!("a share found what decide missed"),
                    })
                    .collect();
                return Finding::NoViolation(Coverage::merge(&coverages));
            }
        }
        round += 1;
        for (i, explorer) in shares.iter_mut().enumerate() {
            // Share i runs i+1 schedules a round: uneven speeds.
            explorer.step((i as u64 + 1) * (1 + round % 3));
        }
    }
}

fn assert_same(file: &str, expect_violation: bool) {
    let scenario = load(file);
    let whole = single(&scenario);
    for of in 1..=3 {
        let parted = split(&scenario, of);
        match (&whole, &parted) {
            (Finding::Violation(a), Finding::Violation(b)) => {
                assert!(expect_violation, "{file}: found a violation");
                assert_eq!(a.faults, b.faults, "{file} in {of} shares: faults");
                assert_eq!(a.seed, b.seed, "{file} in {of} shares: seed");
                assert_eq!(
                    a.found_after, b.found_after,
                    "{file} in {of} shares: found after"
                );
                assert_eq!(a.shrink_runs, b.shrink_runs, "{file} in {of} shares");
                assert!(a.trace == b.trace, "{file} in {of} shares: traces differ");
            }
            (Finding::NoViolation(a), Finding::NoViolation(b)) => {
                assert!(!expect_violation, "{file}: found nothing");
                assert_eq!(a, b, "{file} in {of} shares: coverage summed");
            }
            _ => panic!("{file} in {of} shares: the split search answered differently"),
        }
    }
}

#[test]
fn a_counterexample_found_among_the_single_fault_placements_is_the_same_in_any_split() {
    assert_same("gc_pause.toml", true);
}

#[test]
fn every_explore_scenario_gets_the_same_counterexample_in_any_split() {
    for file in [
        "ttl_shorter_than_work.toml",
        "lost_lock_reply.toml",
        "release_without_owner_check.toml",
        "pubsub_acknowledged.toml",
        "fixed_window.toml",
        "setnx_expire.toml",
        "redlock_restart.toml",
    ] {
        assert_same(file, true);
    }
}

#[test]
fn a_clean_search_covers_the_same_schedules_in_any_split() {
    // Its budget runs past the single-fault placements into random
    // schedules, which every share draws alike and runs its part of.
    let scenario = load("gc_pause_fenced.toml");
    let budget = scenario.explore.clone().unwrap();
    let explorer = Explorer::new(&scenario, budget.clone(), scenario.seed).unwrap();
    assert!(budget.schedules > explorer.systematic_total() + 1);
    assert_same("gc_pause_fenced.toml", false);
}
