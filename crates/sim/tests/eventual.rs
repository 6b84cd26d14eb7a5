//! End-of-run and eventual invariants: checked once the world has settled
//! ("replica equals primary", "cache equals database", "key K equals V"),
//! and bounded staleness, checked as the run goes.

use lockstep_sim::trace::{Trace, Verdict, What};
use lockstep_sim::Scenario;

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 1).unwrap()
}

fn verdict<'a>(trace: &'a Trace, prefix: &str) -> &'a Verdict {
    trace
        .verdicts
        .iter()
        .find(|v| v.invariant.starts_with(prefix))
        .unwrap_or_else(|| panic!("no verdict {prefix}: {:?}", trace.verdicts))
}

fn replicated(heal: bool) -> String {
    let fault = if heal {
        ""
    } else {
        r#"
[[fault]]
kind = "partition"
groups = [["r"]]
at_ms = 5
"#
    };
    format!(
        r#"
[[node]]
name = "p"
[[node]]
name = "r"
replica_of = "p"
replication_lag_ms = 300

[[client]]
name = "writer"
program = '''
sleep(10)
redis.call("SET", "score", "1600")
'''

[[invariant]]
kind = "replicas_match"
primary = "p"

[[invariant]]
kind = "key_equals"
node = "r"
key = "score"
value = "1600"
{fault}"#
    )
}

#[test]
fn a_lagging_replica_catches_up_once_the_world_settles() {
    let trace = run(&replicated(true));
    let finished = trace
        .events
        .iter()
        .find(|e| e.actor == "writer" && matches!(e.what, What::Finish { .. }))
        .map(|e| e.t_us)
        .unwrap_or_default();
    assert!(
        trace.end_us >= finished + 300_000,
        "the run went on for the replication lag after the writer finished"
    );
    assert!(verdict(&trace, "replicas_match(p)").held);
    assert!(verdict(&trace, "key_equals(score on r").held);
}

#[test]
fn a_replica_cut_off_until_the_end_does_not_match_and_says_how() {
    let trace = run(&replicated(false));
    let replicas = verdict(&trace, "replicas_match(p)");
    assert!(!replicas.held);
    assert_eq!(
        replicas.message.as_deref(),
        Some("when the run ended, score is (nil) on r but \"1600\" on p")
    );
    let seq = replicas.at_seq.unwrap_or_default() as usize;
    assert!(matches!(trace.events[seq].what, What::Violation { .. }));
    let key = verdict(&trace, "key_equals(score on r");
    assert_eq!(
        key.message.as_deref(),
        Some("when the run ended, score on r is (nil), not \"1600\"")
    );
}

/// A reader fills the cache from the database slowly while a writer
/// updates the row and deletes the cache entry: the reader's old value
/// lands after the delete. With `double_delete` the writer deletes again
/// 100 ms later.
fn cache_race(double_delete: bool) -> String {
    format!(
        r#"
[[node]]
name = "redis"
[[database]]
name = "db"
rows = {{ "user:1" = "v1" }}

[[client]]
name = "reader"
program = '''
local value = db.get("db", "user:1")
sleep(50)
redis.call("SET", "cache:user:1", value)
'''

[[client]]
name = "writer"
start_ms = 10
params = {{ double_delete = {double_delete} }}
program = '''
db.put("db", "user:1", "v2")
redis.call("DEL", "cache:user:1")
if params.double_delete then
  sleep(100)
  redis.call("DEL", "cache:user:1")
end
'''

[[client]]
name = "observer"
program = "sleep(1000)"

[[invariant]]
kind = "cache_matches_database"
node = "redis"
database = "db"
cache_prefix = "cache:"

[[invariant]]
kind = "stale_at_most"
node = "redis"
of = "db"
ms = 200
cache_prefix = "cache:"
"#
    )
}

#[test]
fn a_late_cache_fill_stays_stale_and_a_second_delete_bounds_it() {
    let racy = run(&cache_race(false));
    let end = verdict(&racy, "cache_matches_database");
    assert!(!end.held);
    assert_eq!(
        end.message.as_deref(),
        Some("when the run ended, cache:user:1 on redis is \"v1\" but db's user:1 is \"v2\"")
    );
    let stale = verdict(&racy, "stale_at_most");
    assert!(!stale.held);
    // Caught when the bound ran out, not only at the next event.
    let began = racy
        .events
        .iter()
        .find(|e| matches!(&e.what, What::Exec { command, .. } if command.starts_with("SET cache:user:1")))
        .map(|e| e.t_us)
        .unwrap_or_default();
    assert_eq!(stale.at_us, Some(began + 200_000 + 1));

    let fixed = run(&cache_race(true));
    assert!(verdict(&fixed, "cache_matches_database").held);
    assert!(
        verdict(&fixed, "stale_at_most").held,
        "stale for less than 200 ms"
    );
}

#[test]
fn eventual_invariants_name_what_they_cannot_find() {
    let error = |toml: &str| Scenario::parse(toml).expect_err("refused").message;
    let base = "[[node]]\nname = \"redis\"\n";
    assert!(error(&format!(
        "{base}[[invariant]]\nkind = \"replicas_match\"\nprimary = \"nope\"\n"
    ))
    .contains("\"nope\" is not a node"));
    assert!(error(&format!(
        "{base}[[invariant]]\nkind = \"cache_matches_database\"\nnode = \"redis\"\ndatabase = \"db\"\n"
    ))
    .contains("\"db\" is not a [[database]]"));
    assert!(error(&format!(
        "{base}[[invariant]]\nkind = \"stale_at_most\"\nnode = \"redis\"\nof = \"x\"\nms = 5\n"
    ))
    .contains("neither a node nor a [[database]]"));
}

fn failover(lag_ms: u32) -> String {
    format!(
        r#"
[[node]]
name = "p"
[[node]]
name = "r"
replica_of = "p"
replication_lag_ms = {lag_ms}

[sentinel]
primary = "p"
down_after_ms = 1000

[[client]]
name = "writer"
program = '''
redis.call("SET", "order:1", "paid")
sleep(3000)
'''

[[fault]]
kind = "crash"
target = "p"
at_ms = 50

[[invariant]]
kind = "acknowledged_writes"
node = "p"
"#
    )
}

#[test]
fn a_failover_before_replication_loses_an_acknowledged_write() {
    let lost = run(&failover(500));
    let promoted = lost
        .events
        .iter()
        .any(|e| e.actor == "r" && matches!(e.what, What::Promote { .. }));
    assert!(promoted, "the sentinel promoted r");
    let verdict = verdict(&lost, "acknowledged_writes(p)");
    assert!(!verdict.held);
    assert_eq!(
        verdict.message.as_deref(),
        Some(
            "when the run ended, SET order:1 \"paid\" was acknowledged, but order:1 is (nil) on r"
        )
    );
    let kept = run(&failover(0));
    assert!(verdict_held(&kept, "acknowledged_writes(p)"));
}

fn verdict_held(trace: &Trace, prefix: &str) -> bool {
    verdict(trace, prefix).held
}
