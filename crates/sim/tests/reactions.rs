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

/// A client that retries INCR on any error: safe on a timeout only if
/// the command did not run. The invariant: one credit per client.
const RETRYING_INCR: &str = r#"
title = "retrying a non-idempotent INCR"
seed = 1
duration_ms = 5000
[network]
latency_ms = 1
[[node]]
name = "redis"
[[client]]
name = "c"
timeout_ms = 200
program = '''
for attempt = 1, 5 do
  local ok = pcall(redis.call, "INCR", "credits")
  if ok then return end
  sleep(50)
end
'''
[[invariant]]
kind = "lua"
name = "credited once"
check = "world.nodes.redis.keys.credits == nil or world.nodes.redis.keys.credits.value == '1'"
"#;

#[test]
fn a_lost_reply_makes_a_retry_run_the_command_twice() {
    let trace = run(&format!(
        r#"{RETRYING_INCR}
[[fault]]
kind = "lose_reply"
target = "c"
at_ms = 0
"#
    ));
    assert!(trace.events.iter().any(|e| matches!(
        &e.what,
        What::Drop { reason, to, .. } if to == "c" && reason.contains("lose_reply")
    )));
    assert!(trace
        .events
        .iter()
        .any(|e| matches!(e.what, What::Timeout { .. })));
    let verdict = &trace.verdicts[0];
    assert!(!verdict.held, "the retry credited twice");
}

#[test]
fn one_way_loss_lets_commands_run_while_their_replies_vanish() {
    let trace = run(&format!(
        r#"{RETRYING_INCR}
[[fault]]
kind = "lose_one_way"
from = ["redis"]
to = ["c"]
duration_ms = 300
at_ms = 0
"#
    ));
    let execs = trace
        .events
        .iter()
        .filter(|e| matches!(&e.what, What::Exec { command, .. } if command.starts_with("INCR")))
        .count();
    assert!(execs >= 2, "each attempt ran on the node");
    assert!(!trace.verdicts[0].held);
}

#[test]
fn the_explorer_finds_the_lost_reply_and_the_one_way_loss() {
    use lockstep_sim::explore::{Explorer, Finding};
    use lockstep_sim::fault::ExploreKind;
    let scenario = Scenario::parse(RETRYING_INCR).unwrap();
    for (kind, word) in [
        (ExploreKind::LoseReply, "lose the next reply to c"),
        (ExploreKind::LoseOneWay, "lose messages from redis to c"),
    ] {
        let budget = lockstep_sim::budget::Budget {
            kinds: vec![kind],
            ..Default::default()
        };
        let finding = Explorer::new(&scenario, budget, 1)
            .unwrap()
            .run(100, |_| true);
        let Finding::Violation(found) = finding else {
            panic!("{kind:?}: no counterexample");
        };
        assert!(
            found.faults.iter().any(|f| f.starts_with(word)),
            "{:?}",
            found.faults
        );
    }
}

const LONG_SCRIPT: &str = r#"
[network]
latency_ms = 1
[[node]]
name = "p"
script_speed = 0.02
[[node]]
name = "r"
replica_of = "p"
[sentinel]
primary = "p"
down_after_ms = 1000
[[client]]
name = "c"
node = "p"
timeout_ms = 30000
program = '''
local reply = redis.pcall("EVAL", SCRIPT, 0)
log("EVAL:", type(reply) == "table" and reply.err or tostring(reply))
'''
"#;

fn sentinel_kills(trace: &Trace) -> Vec<&Event> {
    trace
        .events
        .iter()
        .filter(|e| {
            e.actor == "sentinel"
                && matches!(&e.what, What::Send { text, .. } if text == "SCRIPT KILL")
        })
        .collect()
}

#[test]
fn the_sentinel_kills_a_read_only_script_that_keeps_the_primary_busy() {
    let script = "local i = 0 while i < 80000000 do i = i + 1 end return i";
    let trace = run(&LONG_SCRIPT.replace("SCRIPT,", &format!("{script:?},")));
    let kills = sentinel_kills(&trace);
    assert_eq!(kills.len(), 1, "once per script");
    let started = trace
        .events
        .iter()
        .find(|e| matches!(e.what, What::ScriptStart { .. }))
        .expect("the script keeps p busy")
        .t_us;
    let after = kills[0].t_us - started;
    // Past busy-reply-threshold (5 s, when p starts answering BUSY), at the
    // sentinel's next tick (every 100 ms).
    assert!((5_000_000..5_200_000).contains(&after), "{after}");
    let logs = log_events(&trace, "c");
    assert!(
        logs[0].1.contains("Script killed by user with SCRIPT KILL"),
        "{}",
        logs[0].1
    );
    assert!(!trace
        .events
        .iter()
        .any(|e| matches!(e.what, What::Promote { .. })));
}

#[test]
fn a_script_that_wrote_cannot_be_killed_by_the_sentinel() {
    // Past the 5 s threshold (p runs scripts at 2% speed), within the
    // node's instruction cap.
    let script =
        "redis.call('SET', 'x', 1) local i = 0 while i < 20000000 do i = i + 1 end return i";
    let trace = run(&LONG_SCRIPT.replace("SCRIPT,", &format!("{script:?},")));
    assert_eq!(sentinel_kills(&trace).len(), 1);
    assert!(trace.events.iter().any(|e| matches!(
        &e.what,
        What::Busy { from, reply, .. } if from == "sentinel" && reply.contains("UNKILLABLE")
    )));
    let logs = log_events(&trace, "c");
    assert_eq!(logs[0].1, "EVAL: 20000000", "the script ran to its end");
}

#[test]
fn the_lock_story_s_wait_after_the_failover_fails_instead_of_vouching() {
    let scenario = lockstep_lessons::stories::find("failover_wait_cannot_vouch")
        .expect("the story is in the catalogue")
        .scenario()
        .expect("the story parses");
    let trace = lockstep_sim::run(&scenario, scenario.seed).unwrap();
    let promoted = trace
        .events
        .iter()
        .find(|e| e.actor == "r" && matches!(e.what, What::Promote { .. }))
        .expect("the sentinel promotes r");
    // The WAIT was sent to p, which had just crashed.
    let wait = trace
        .events
        .iter()
        .find(|e| {
            e.actor == "client-1"
                && matches!(&e.what, What::Send { text, to, .. } if text.starts_with("WAIT") && to == "p")
        })
        .expect("client-1 sent WAIT to p");
    assert!(wait.t_us < promoted.t_us);
    let logs = log_events(&trace, "client-1");
    let (event, text) = logs[0];
    assert_eq!(
        text, "client-1 WAIT failed: connection reset: failover, r is the primary now",
        "not a count of replicas"
    );
    assert_eq!(event.t_us, promoted.t_us, "at the failover");
    assert!(!trace
        .events
        .iter()
        .any(|e| { e.actor == "client-1" && matches!(&e.what, What::Enter { .. }) }));
    // r never saw client-1's lock: client-2 takes it there.
    assert!(log_events(&trace, "client-2")
        .iter()
        .any(|(_, text)| *text == "client-2 has the lock"));
    assert!(
        trace.verdicts.iter().all(|v| v.held),
        "{:?}",
        trace.verdicts
    );
}

#[test]
fn one_way_loss_of_requests_runs_nothing_so_the_retry_is_safe() {
    // The client starts once the loss is on, so its first INCR is lost.
    let client = RETRYING_INCR.replace("timeout_ms = 200", "timeout_ms = 200\nstart_ms = 10");
    let trace = run(&format!(
        r#"{client}
[[fault]]
kind = "lose_one_way"
from = ["c"]
to = ["redis"]
duration_ms = 300
at_ms = 0
"#
    ));
    let sent = trace
        .events
        .iter()
        .filter(|e| matches!(&e.what, What::Send { text, .. } if text.starts_with("INCR")))
        .count();
    let execs = trace
        .events
        .iter()
        .filter(|e| matches!(&e.what, What::Exec { command, .. } if command.starts_with("INCR")))
        .count();
    assert!(sent >= 2, "the first attempt timed out and was retried");
    assert_eq!(execs, 1, "only the attempt that got through ran");
    assert!(trace.verdicts[0].held, "credited once");
}

#[test]
fn the_explorer_finds_no_double_credit_when_only_requests_are_lost() {
    use lockstep_sim::explore::{Explorer, Finding};
    use lockstep_sim::fault::ExploreKind;
    let scenario = Scenario::parse(RETRYING_INCR).unwrap();
    let budget = lockstep_sim::budget::Budget {
        kinds: vec![ExploreKind::LoseRequests],
        partition_ms: vec![100, 300, 2000].into_iter().map(f64::from).collect(),
        schedules: 100,
        ..Default::default()
    };
    let finding = Explorer::new(&scenario, budget, 1)
        .unwrap()
        .run(100, |_| true);
    let Finding::NoViolation(coverage) = finding else {
        panic!("a lost request never runs: nothing to credit twice");
    };
    let statement = coverage.statement();
    assert!(
        statement.contains("one-way losses of 100/300/2000 ms"),
        "{statement}"
    );
    assert!(coverage.struck > 0, "{statement}");
}
