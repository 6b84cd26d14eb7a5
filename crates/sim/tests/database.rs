//! The database actor: rows with versions, conditional updates, a query
//! counter, and a latency that grows with load — and the stampede a cache
//! rebuild lock prevents.

use lockstep_sim::trace::{Trace, What};
use lockstep_sim::Scenario;

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 1).unwrap()
}

/// The `query` events of the trace: (key, result, queued µs).
fn queries(trace: &Trace) -> Vec<(String, String, u64)> {
    trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Query {
                key,
                result,
                queued_us,
                ..
            } => Some((key.clone(), result.clone(), *queued_us)),
            _ => None,
        })
        .collect()
}

/// `n` clients read a page whose cache entry is gone at the same moment;
/// with `rebuild_lock` only the one that wins `SET NX` asks the database,
/// the others wait for the cache to be filled.
pub fn stampede(n: usize, rebuild_lock: bool, connections: u32, query_ms: f64) -> String {
    let mut toml = format!(
        r#"
title = "cache stampede"
[[node]]
name = "redis"
[[database]]
name = "db"
query_ms = {query_ms}
connections = {connections}
rows = {{ "page:home" = "<html>home</html>" }}
"#
    );
    for i in 1..=n {
        toml.push_str(&format!(
            r#"
[[client]]
name = "client-{i}"
params = {{ lock = {rebuild_lock} }}
program = '''
local page = redis.call("GET", "cache:home")
while not page do
  if not params.lock or redis.call("SET", "rebuild:home", me, "NX", "PX", 5000) then
    page = db.get("db", "page:home")
    redis.call("SET", "cache:home", page, "PX", 60000)
  else
    sleep(20)
    page = redis.call("GET", "cache:home")
  end
end
log("served", #page, "bytes")
'''
"#
        ));
    }
    toml
}

#[test]
fn a_stampede_sends_every_reader_to_the_database_and_a_rebuild_lock_sends_one() {
    let readers = 8;
    let without = run(&stampede(readers, false, 10, 5.0));
    let with = run(&stampede(readers, true, 10, 5.0));
    assert_eq!(queries(&without).len(), readers, "every miss queried");
    assert_eq!(queries(&with).len(), 1, "only the lock's winner queried");
    for trace in [&without, &with] {
        let served = trace
            .events
            .iter()
            .filter(|e| matches!(&e.what, What::Log { text } if text.starts_with("served 17")))
            .count();
        assert_eq!(served, readers, "every reader got the page");
        let last = trace.events.iter().rev().find_map(|e| e.state.as_ref());
        let counted = last.and_then(|s| s.databases.get("db")).map(|d| d.queries);
        assert_eq!(
            counted,
            Some(queries(trace).len() as u64),
            "the world's query counter agrees with the query events"
        );
    }
}

#[test]
fn queries_beyond_the_connections_wait_so_latency_grows_with_load() {
    let (readers, connections, query_ms) = (8, 2, 10.0);
    let trace = run(&stampede(readers, false, connections, query_ms));
    let waits: Vec<u64> = queries(&trace).iter().map(|q| q.2).collect();
    // All eight arrive together: two at a time, 10 ms each, so the last
    // pair waits three turns.
    let turns = (readers as u64 - 1) / connections as u64;
    assert_eq!(waits.iter().max(), Some(&(turns * 10_000)));
    assert_eq!(waits.iter().filter(|&&w| w == 0).count(), 2);
    let roomy = run(&stampede(readers, false, 16, query_ms));
    assert!(queries(&roomy).iter().all(|q| q.2 == 0), "nobody waits");
    assert!(
        roomy.end_us < trace.end_us,
        "the same work ends sooner when the database is not saturated"
    );
}

#[test]
fn a_conditional_update_lets_exactly_one_booking_through() {
    let mut toml = String::from(
        r#"
[[node]]
name = "redis"
[[database]]
name = "db"
rows = { "seat:1" = "free" }
"#,
    );
    for name in ["alice", "bob", "carol"] {
        toml.push_str(&format!(
            r#"
[[client]]
name = "{name}"
program = '''
local value, version = db.get("db", "seat:1")
local ok, now, v = db.update("db", "seat:1", me, {{value = "free"}})
log(ok and "booked" or "taken by " .. now, v)
local stale = db.update("db", "seat:1", me, {{version = version}})
log("stale update", tostring(stale))
'''
"#
        ));
    }
    let trace = run(&toml);
    let logs: Vec<String> = trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Log { text } => Some(format!("{} {text}", e.actor)),
            _ => None,
        })
        .collect();
    let booked: Vec<&String> = logs.iter().filter(|l| l.contains(" booked 2")).collect();
    assert_eq!(booked.len(), 1, "{logs:?}");
    let winner = booked[0].split(' ').next().unwrap_or_default();
    let taken = format!("taken by {winner} 2");
    assert_eq!(logs.iter().filter(|l| l.contains(&taken)).count(), 2);
    assert_eq!(
        logs.iter()
            .filter(|l| l.ends_with("stale update false"))
            .count(),
        3,
        "a version read before the booking no longer matches: {logs:?}"
    );
}

#[test]
fn bad_database_use_gets_a_clear_error() {
    let refused = Scenario::parse(
        r#"
[[node]]
name = "redis"
[[database]]
name = "db"
connections = 0
"#,
    )
    .expect_err("no connections");
    assert!(
        refused.message.contains("connections must be at least 1"),
        "{refused}"
    );
    let trace = run(r#"
[[node]]
name = "redis"
[[database]]
name = "db"
[[client]]
name = "c"
program = '''
local ok, err = pcall(db.get, "nope", "k")
log(err)
db.update("db", "k", "v", {})
'''
"#);
    let texts: Vec<String> = trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Log { text } => Some(text.clone()),
            What::Finish { error: Some(e), .. } => Some(e.clone()),
            _ => None,
        })
        .collect();
    assert!(texts[0].contains("no database named \"nope\""), "{texts:?}");
    assert!(
        texts[1].contains("db.update expects a condition"),
        "{texts:?}"
    );
}

#[test]
fn metric_assertions_judge_the_stampede_in_the_trace() {
    let bounds = r#"
[[metric]]
query = "count(db query)"
max = 1

[[metric]]
query = "max(wait, db)"
max = 0
"#;
    let verdicts = |lock: bool| {
        let trace = run(&format!("{}{bounds}", stampede(6, lock, 2, 10.0)));
        trace
            .verdicts
            .iter()
            .map(|v| (v.invariant.clone(), v.held, v.message.clone()))
            .collect::<Vec<_>>()
    };
    let without = verdicts(false);
    assert_eq!(without[0].0, "count(db query) ≤ 1");
    assert!(!without[0].1);
    assert_eq!(
        without[0].2.as_deref(),
        Some("count(db query) = 6, above the maximum 1")
    );
    assert!(!without[1].1, "six queries at two connections wait");
    let with = verdicts(true);
    assert!(with.iter().all(|v| v.1), "{with:?}");
}
