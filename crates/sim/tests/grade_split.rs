//! Grading a "fix it" split across workers gives the single grading's
//! answer: each share starts with [`grade::start`], the shares are merged
//! with [`decide`] and the answer worded with [`grade::judge`] — the same
//! verdict, sentence and breaking run over 1, 2 and 3 shares.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lockstep_sim::explore::grade::{self, Edit, Searched, Started};
use lockstep_sim::explore::{decide, Coverage, Decision, Explorer, Finding, Share};
use lockstep_sim::trace::Trace;
use lockstep_sim::Scenario;

fn libraries() -> BTreeMap<String, String> {
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../lessons/lib");
    let mut libraries = BTreeMap::new();
    for entry in std::fs::read_dir(lib).expect("lessons/lib") {
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

/// What a grading answers: passed, the sentence, and the run that breaks it.
type Answer = (bool, String, Option<Trace>);

fn single(scenario: &Scenario, edits: &[Edit]) -> Answer {
    let budget = scenario.explore.clone().unwrap();
    let graded = grade::grade(scenario, edits, budget, scenario.seed, |_| true).unwrap();
    let breaking = match graded.finding {
        Some(Finding::Violation(c)) => Some(c.trace),
        Some(Finding::NoViolation(_)) => None,
        None => Some(graded.baseline),
    };
    (graded.passed, graded.summary, breaking)
}

/// The page's way: every share started, stepped at uneven speeds, merged
/// once [`decide`] settles it.
fn split(scenario: &Scenario, edits: &[Edit], of: u32) -> Answer {
    let budget = scenario.explore.clone().unwrap();
    let mut shares: Vec<Explorer> = Vec::new();
    for share in Share::split(of) {
        match grade::start(scenario, edits, budget.clone(), scenario.seed, share).unwrap() {
            Started::Failed(graded) => return (false, graded.summary, Some(graded.baseline)),
            Started::Search(explorer) => shares.push(*explorer),
        }
    }
    let mut round = 0u64;
    loop {
        let states: Vec<_> = shares.iter().map(Explorer::share_state).collect();
        match decide(&states) {
            Decision::Open => {}
            Decision::Violation { share } => {
                let Finding::Violation(c) = shares.swap_remove(share).into_finding() else {
                    panic!("decide named a share without a violation");
                };
                let (passed, summary) = grade::judge(Searched::Broke { faults: &c.faults });
                return (passed, summary, Some(c.trace));
            }
            Decision::NoViolation => {
                let coverages: Vec<Coverage> = shares
                    .into_iter()
                    .map(|s| match s.into_finding() {
                        Finding::NoViolation(coverage) => coverage,
                        Finding::Violation(_) => panic!("a share found what decide missed"),
                    })
                    .collect();
                let merged = Coverage::merge(&coverages);
                let (passed, summary) = grade::judge(Searched::Held {
                    statement: &merged.statement(),
                    cancelled: merged.cancelled,
                });
                return (passed, summary, None);
            }
        }
        round += 1;
        for (i, explorer) in shares.iter_mut().enumerate() {
            explorer.step((i as u64 + 1) * (1 + round % 3));
        }
    }
}

fn assert_same(file: &str, edits: &[Edit], expect_pass: bool) {
    let scenario = load(file);
    let (passed, summary, breaking) = single(&scenario, edits);
    assert_eq!(passed, expect_pass, "{file}: {summary}");
    for of in 1..=3 {
        let (split_passed, split_summary, split_breaking) = split(&scenario, edits, of);
        assert_eq!(split_passed, passed, "{file} in {of} shares");
        assert_eq!(split_summary, summary, "{file} in {of} shares");
        assert!(
            split_breaking == breaking,
            "{file} in {of} shares: a different breaking run"
        );
    }
}

#[test]
fn an_answer_the_explorer_breaks_is_broken_the_same_way_in_any_split() {
    assert_same("gc_pause.toml", &[], false);
}

#[test]
fn an_answer_that_holds_is_passed_with_the_same_coverage_in_any_split() {
    assert_same("gc_pause_fenced.toml", &[], true);
}

#[test]
fn an_answer_that_fails_without_faults_is_refused_by_every_share_alike() {
    assert_same("ttl_shorter_than_work.toml", &[], false);
}
