//! The `memory` metric: the bytes MEMORY USAGE gives for a node's keys,
//! read from the trace's state snapshots of a node with `memory_usage`.

use lockstep_sim::metric::evaluate;
use lockstep_sim::trace::{Trace, What};
use lockstep_sim::Scenario;

/// A sliding log of five requests (expiring after 1 s) and a fixed
/// window's counter, then the program asks Redis for both sizes while
/// both keys exist, and waits for them to expire.
const SCENARIO: &str = r#"
title = "memory"
seed = 1
duration_ms = 3000

[[node]]
name = "redis"
memory_usage = true

[[client]]
name = "app"
program = '''
for i = 1, 5 do
  redis.call("ZADD", "log:1", 1000 + i, i .. "-c3a8e2f0b1d94e7a8f6c5b4a39281706")
end
redis.call("PEXPIRE", "log:1", 1000)
redis.call("INCR", "fw:1:0")
redis.call("PEXPIRE", "fw:1:0", 1000)
redis.call("MEMORY", "USAGE", "log:1")
redis.call("MEMORY", "USAGE", "fw:1:0")
sleep(1500)
'''
"#;

fn run(toml: &str) -> Trace {
    let scenario = Scenario::parse(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"));
    lockstep_sim::run(&scenario, 1).unwrap()
}

/// The numbers the program's MEMORY USAGE calls got back, in order.
fn usage_replies(trace: &Trace) -> Vec<f64> {
    let sent: Vec<u64> = trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Send { msg, text, .. } if text.starts_with("MEMORY USAGE") => Some(*msg),
            _ => None,
        })
        .collect();
    sent.iter()
        .map(|msg| {
            trace
                .events
                .iter()
                .find_map(|e| match &e.what {
                    What::Receive { msg: m, text, .. } if m == msg => {
                        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                        digits.parse().ok()
                    }
                    _ => None,
                })
                .expect("MEMORY USAGE answered with a number")
        })
        .collect()
}

fn metric(trace: &Trace, source: &str) -> Option<f64> {
    evaluate(source, trace).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_peak_is_what_memory_usage_answers_in_the_run() {
    let trace = run(SCENARIO);
    let [log, counter] = usage_replies(&trace)[..] else {
        panic!("two MEMORY USAGE replies")
    };
    assert_eq!(
        metric(&trace, r#"max(memory, redis key="log:*")"#),
        Some(log)
    );
    assert_eq!(
        metric(&trace, r#"max(memory, redis key="fw:1:*")"#),
        Some(counter)
    );
    // Both keys at once, on any node.
    assert_eq!(metric(&trace, "max(memory)"), Some(log + counter));
    // The log grew one member at a time, and both keys expired.
    let least = metric(&trace, r#"min(memory, key="log:1")"#);
    assert_eq!(
        least,
        Some(0.0),
        "the key expires: the total comes back to 0"
    );
    let series = lockstep_sim::metric::series(r#"max(memory, key="log:1")"#, &trace).unwrap();
    let sizes: Vec<f64> = series.iter().map(|p| p.value).collect();
    assert!(
        sizes.len() >= 6,
        "a point per ZADD and one at expiry: {sizes:?}"
    );
    assert!(sizes.windows(2).take(4).all(|w| w[0] < w[1]), "{sizes:?}");
}

#[test]
fn a_node_without_memory_usage_has_nothing_to_measure() {
    let trace = run(&SCENARIO.replace("memory_usage = true", ""));
    assert_eq!(metric(&trace, "max(memory)"), None);
    let json = serde_json::to_string(&trace).unwrap();
    assert!(
        !json.contains("\"memory\":"),
        "traces without it are unchanged"
    );
}

#[test]
fn memory_takes_a_node_and_keys_only() {
    let error = evaluate(r#"max(memory, redis send text="x")"#, &Trace::default()).unwrap_err();
    assert!(error.contains("give a node and `key=`"), "{error}");
}
