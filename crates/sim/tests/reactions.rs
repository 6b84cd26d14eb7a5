//! Redis's own faults and reactions: SHUTDOWN closes connections (callers
//! hear at once, where a crashed machine leaves them to time out), a
//! failover resets the clients' connections.

use lockstep_sim::trace::{Event, Trace, What};
use lockstep_sim::Scenario;

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 1).unwrap()
}

fn log_events<'a>(trace: &'a Trace, actor: &'a str) -> Vec<(&'a Event, &'a str)> {
    trace
        .events
        .iter()
        .filter(|e| e.actor == actor)
        .filter_map(|e| match &e.what {
            What::Log { text } => Some((e, text.as_str())),
            _ => None,
        })
        .collect()
}

const CLIENTS: &str = r#"
[network]
latency_ms = 1
[[node]]
name = "redis"
[[client]]
name = "waiter"
timeout_ms = 1000
program = '''
local ok, err = pcall(redis.call, "BLPOP", "q", 2)
log("waiter:", err)
'''
[[client]]
name = "sub"
program = '''
subscribe("news")
local m, why = next_message(5000)
log("sub:", why)
'''
"#;

#[test]
fn shutdown_closes_every_connection_so_callers_fail_at_once() {
    let trace = run(&format!(
        r#"{CLIENTS}
[[client]]
name = "admin"
start_ms = 100
program = '''
local ok, err = pcall(redis.call, "SHUTDOWN", "NOSAVE")
log("admin:", err)
'''
"#
    ));
    let shutdown = trace
        .events
        .iter()
        .find(|e| matches!(&e.what, What::Exec { command, .. } if command == "SHUTDOWN NOSAVE"))
        .expect("the node ran SHUTDOWN");
    for client in ["waiter", "sub", "admin"] {
        let logs = log_events(&trace, client);
        let (event, text) = logs[0];
        assert!(
            text.ends_with("connection closed by redis: SHUTDOWN"),
            "{client}: {text}"
        );
        assert!(
            event.t_us - shutdown.t_us <= 1_000,
            "{client} heard one trip of latency later"
        );
    }
    assert!(!trace
        .events
        .iter()
        .any(|e| matches!(e.what, What::Timeout { .. })));
}

#[test]
fn a_crashed_machine_leaves_callers_to_their_timeout() {
    let trace = run(&format!(
        r#"{CLIENTS}
[[fault]]
kind = "crash"
target = "redis"
at_ms = 100
"#
    ));
    let logs = log_events(&trace, "waiter");
    let (event, text) = logs[0];
    assert!(text.starts_with("waiter: TIMEOUT"), "{text}");
    assert!(event.t_us >= 3_000_000, "BLPOP's 2 s plus timeout_ms");
    let sub = log_events(&trace, "sub");
    assert_eq!(sub[0].1, "sub: timeout", "nothing tells the subscriber");
}

#[test]
fn a_failover_resets_the_clients_connections_so_in_flight_calls_fail_at_once() {
    let trace = run(r#"
[network]
latency_ms = 1
[[node]]
name = "p"
[[node]]
name = "r"
replica_of = "p"
[sentinel]
primary = "p"
down_after_ms = 500
[[client]]
name = "c"
node = "p"
timeout_ms = 10000
program = '''
redis.call("SET", "lock", "mine")
sleep(100)
local ok, err = pcall(redis.call, "GET", "lock")
log("in flight:", err)
log("now on the new primary:", tostring(redis.call("GET", "lock")))
log("WAIT on the new primary:", redis.call("WAIT", 1, 100))
'''
[[fault]]
kind = "partition"
groups = [["p"]]
at_ms = 50
"#);
    let promoted = trace
        .events
        .iter()
        .find(|e| e.actor == "r" && matches!(e.what, What::Promote { .. }))
        .expect("the sentinel promotes r");
    let logs = log_events(&trace, "c");
    let (event, text) = logs[0];
    assert_eq!(
        text,
        "in flight: connection reset: failover, r is the primary now"
    );
    assert_eq!(event.t_us, promoted.t_us, "at the failover, not after 10 s");
    assert_eq!(logs[1].1, "now on the new primary: mine");
    // A new connection that wrote nothing there; no replica left to ask.
    assert_eq!(logs[2].1, "WAIT on the new primary: 0");
    assert!(!trace
        .events
        .iter()
        .any(|e| matches!(e.what, What::Timeout { .. })));
}

#[test]
fn wait_counts_replicas_for_this_connection_s_own_writes_only() {
    let trace = run(r#"
[network]
latency_ms = 1
[[node]]
name = "p"
[[node]]
name = "r"
replica_of = "p"
replication_lag_ms = 200
[[client]]
name = "writer"
start_ms = 300
program = '''
redis.call("SET", "k", "1")
log("writer's WAIT:", redis.call("WAIT", 1, 50))
'''
[[client]]
name = "reader"
start_ms = 302
program = '''
redis.call("GET", "k")
log("reader's WAIT:", redis.call("WAIT", 1, 50))
'''
"#);
    let writer = log_events(&trace, "writer");
    let reader = log_events(&trace, "reader");
    assert_eq!(writer[0].1, "writer's WAIT: 0", "its write is 200 ms away");
    assert_eq!(
        reader[0].1, "reader's WAIT: 1",
        "it wrote nothing: the replica has all of that already"
    );
    assert!(
        reader[0].0.t_us < writer[0].0.t_us,
        "answered at once, not after 50 ms"
    );
}
