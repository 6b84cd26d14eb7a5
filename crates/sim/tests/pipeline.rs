//! Pipelining in client programs: N commands in one round trip, and
//! MULTI ... EXEC as a transaction in one round trip.

use lockstep_sim::trace::{Trace, What};
use lockstep_sim::Scenario;

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 1).unwrap()
}

fn logs(trace: &Trace, actor: &str) -> Vec<String> {
    trace
        .events
        .iter()
        .filter(|e| e.actor == actor)
        .filter_map(|e| match &e.what {
            What::Log { text } => Some(text.clone()),
            _ => None,
        })
        .collect()
}

/// From the first `send` to the last `receive` of `actor`, in µs.
fn busy_span(trace: &Trace, actor: &str) -> u64 {
    let mine = || trace.events.iter().filter(|e| e.actor == actor);
    let first = mine()
        .find(|e| matches!(e.what, What::Send { .. }))
        .expect("it sent")
        .t_us;
    let last = mine()
        .rfind(|e| matches!(e.what, What::Receive { .. }))
        .expect("it received")
        .t_us;
    last - first
}

#[test]
fn a_pipeline_of_five_takes_one_round_trip_where_five_calls_take_five() {
    let trace = run(r#"
[network]
latency_ms = 10
[[node]]
name = "redis"
[[client]]
name = "one-by-one"
program = '''
for i = 1, 5 do redis.call("INCR", "a") end
'''
[[client]]
name = "pipelined"
program = '''
local replies = pipeline({
  {"INCR", "b"}, {"INCR", "b"}, {"INCR", "b"}, {"INCR", "b"}, {"INCR", "b"},
})
log(table.concat(replies, ","))
'''
"#);
    assert_eq!(logs(&trace, "pipelined"), ["1,2,3,4,5"]);
    let sequential = busy_span(&trace, "one-by-one");
    let pipelined = busy_span(&trace, "pipelined");
    let round_trip = 20_000;
    assert!(sequential >= 5 * round_trip, "{sequential}");
    assert!(
        (round_trip..2 * round_trip).contains(&pipelined),
        "{pipelined}"
    );
    // The five sends leave at the same moment.
    let sends: Vec<u64> = trace
        .events
        .iter()
        .filter(|e| e.actor == "pipelined" && matches!(e.what, What::Send { .. }))
        .map(|e| e.t_us)
        .collect();
    assert_eq!(sends.len(), 5);
    assert!(sends.iter().all(|&t| t == sends[0]));
}

#[test]
fn multi_exec_in_a_pipeline_is_a_transaction_in_one_round_trip_and_errors_are_values() {
    let trace = run(r#"
[network]
latency_ms = 5
[[node]]
name = "redis"
data = ["SET balance 100", "SET name ada"]
[[client]]
name = "c"
program = '''
local r = pipeline({
  {"MULTI"},
  {"DECRBY", "balance", 30},
  {"INCRBY", "spent", 30},
  {"EXEC"},
  {"INCR", "name"},
})
log(r[1], r[2], r[3], r[4][1], r[4][2], r[5].err)
log(pcall(pipeline, {{"GET"}, "oops"}))
'''
"#);
    let lines = logs(&trace, "c");
    assert_eq!(
        lines[0],
        "OK QUEUED QUEUED 70 30 ERR value is not an integer or out of range"
    );
    assert!(
        lines[1].starts_with("false") && lines[1].contains("command 2 is not a list"),
        "{}",
        lines[1]
    );
    assert!(busy_span(&trace, "c") < 20_000, "one round trip of 10 ms");
}

#[test]
fn a_pipeline_to_a_node_that_never_answers_times_out_once() {
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "c"
timeout_ms = 300
program = '''
local ok, err = pcall(pipeline, {{"SET", "a", 1}, {"GET", "a"}})
log(tostring(ok), err)
'''
[[fault]]
kind = "partition"
groups = [["c"]]
at_ms = 0
"#);
    let lines = logs(&trace, "c");
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with("false")
            && lines[0].contains("TIMEOUT no reply from redis within 300 ms"),
        "{}",
        lines[0]
    );
}

#[test]
fn a_pipeline_yielded_by_hand_with_no_commands_is_answered_not_a_crash() {
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "c"
program = '''
local ok, replies = coroutine.yield("pipeline", nil, {})
log(tostring(ok), #replies, #pipeline({}))
coroutine.yield("pipeline", nil, {"GET"})
log("not reached")
'''
"#);
    let lines = logs(&trace, "c");
    assert_eq!(lines, ["true 0 0"]);
    let error = trace
        .events
        .iter()
        .find_map(|e| match &e.what {
            What::Finish {
                error: Some(error), ..
            } => Some(error.clone()),
            _ => None,
        })
        .expect("a malformed pipeline stops the program with an error");
    assert!(
        error.contains("pipeline expects a list of commands"),
        "{error}"
    );
}
