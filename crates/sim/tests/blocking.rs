//! Blocking commands from client programs wait in simulated time: served
//! by the write that gives them something, in the order they blocked, or
//! answered nil at their timeout on the node's clock.

use lockstep_sim::trace::{Event, Trace, What};
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

/// The node's exec event whose command starts with `prefix` and came
/// from `from`.
fn exec<'a>(trace: &'a Trace, from_actor: &str, prefix: &str) -> &'a Event {
    trace
        .events
        .iter()
        .find(|e| {
            matches!(&e.what, What::Exec { from, command, .. }
                if from == from_actor && command.starts_with(prefix))
        })
        .unwrap_or_else(|| panic!("no exec of {prefix} from {from_actor}"))
}

fn received_at(trace: &Trace, actor: &str, msg: u64) -> u64 {
    trace
        .events
        .iter()
        .find(|e| e.actor == actor && matches!(&e.what, What::Receive { msg: m, .. } if *m == msg))
        .map(|e| e.t_us)
        .expect("the reply arrived")
}

fn msg_of(event: &Event) -> u64 {
    match &event.what {
        What::Exec { msg, .. } => *msg,
        _ => panic!("not an exec"),
    }
}

#[test]
fn blpop_waits_until_the_push_that_serves_it_and_waiters_are_served_in_order() {
    let trace = run(r#"
[network]
latency_ms = 2
[[node]]
name = "redis"
[[client]]
name = "w1"
program = '''
local r = redis.call("BLPOP", "jobs", 5)
log("w1", r[1], r[2])
'''
[[client]]
name = "w2"
start_ms = 10
program = '''
local r = redis.call("BLPOP", "other", "jobs", 5)
log("w2", r[1], r[2])
'''
[[client]]
name = "w3"
start_ms = 20
program = '''
local r = redis.call("BLPOP", "jobs", 1)
log("w3", tostring(r))
'''
[[client]]
name = "producer"
start_ms = 300
program = '''
log("pushed", redis.call("RPUSH", "jobs", "a", "b"))
'''
"#);
    assert_eq!(
        logs(&trace, "w1"),
        ["w1 jobs a"],
        "first blocked, first served"
    );
    assert_eq!(logs(&trace, "w2"), ["w2 jobs b"]);
    assert_eq!(
        logs(&trace, "w3"),
        ["w3 false"],
        "nothing left for the third"
    );
    assert_eq!(logs(&trace, "producer"), ["pushed 2"]);
    // Served by the push itself: the waiter's reply leaves with it.
    let push = exec(&trace, "producer", "RPUSH");
    let served = exec(&trace, "w1", "BLPOP jobs 5 (served)");
    assert_eq!(served.t_us, push.t_us);
    let blocked = exec(&trace, "w1", "BLPOP");
    assert!(push.t_us - blocked.t_us > 250_000, "w1 waited for it");
    assert_eq!(
        received_at(&trace, "w1", msg_of(served)) - served.t_us,
        2_000,
        "one trip of latency after the push"
    );
    // w3 times out a second after it blocked, on the node's clock (the
    // millisecond after the deadline, as Redis compares).
    let w3_blocked = exec(&trace, "w3", "BLPOP");
    let w3_out = exec(&trace, "w3", "BLPOP jobs 1 (timed out)");
    let waited = w3_out.t_us - w3_blocked.t_us;
    assert!((1_000_000..1_002_000).contains(&waited), "{waited}");
}

#[test]
fn a_wait_with_no_timeout_outlasts_the_client_s_timeout_ms() {
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "w"
timeout_ms = 500
program = '''
local r = redis.call("BRPOP", "q", 0)
log(r[2])
local t = redis.pcall("BRPOP", "q", 1)
log(tostring(t))
'''
[[client]]
name = "p"
start_ms = 3000
program = '''
redis.call("LPUSH", "q", "late")
'''
"#);
    assert_eq!(logs(&trace, "w"), ["late", "false"]);
    assert!(!trace
        .events
        .iter()
        .any(|e| matches!(e.what, What::Timeout { .. })));
}

#[test]
fn blmove_bzpopmin_and_xread_block_are_woken_by_their_writes() {
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "mover"
program = '''
log("moved", redis.call("BLMOVE", "in", "out", "LEFT", "RIGHT", 5))
'''
[[client]]
name = "taker"
program = '''
local r = redis.call("BLPOP", "out", 5)
log("took", r[2])
'''
[[client]]
name = "scorer"
program = '''
local r = redis.call("BZPOPMIN", "scores", 5)
log("lowest", r[2], r[3])
'''
[[client]]
name = "reader"
program = '''
local r = redis.call("XREAD", "BLOCK", 5000, "STREAMS", "events", "$")
log("read", r[1][1], r[1][2][1][2][1], r[1][2][1][2][2])
'''
[[client]]
name = "writer"
start_ms = 200
program = '''
redis.call("LPUSH", "in", "job")
redis.call("ZADD", "scores", 3, "c", 1, "a")
redis.call("XADD", "events", "1-1", "kind", "signup")
'''
"#);
    assert_eq!(logs(&trace, "mover"), ["moved job"]);
    assert_eq!(
        logs(&trace, "taker"),
        ["took job"],
        "BLMOVE's push serves in turn"
    );
    assert_eq!(logs(&trace, "scorer"), ["lowest a 1"]);
    assert_eq!(logs(&trace, "reader"), ["read events kind signup"]);
}

#[test]
fn a_killed_waiter_is_not_served_the_next_one_is() {
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "w1"
program = '''
redis.call("BLPOP", "jobs", 10)
log("w1 served")
'''
[[client]]
name = "w2"
start_ms = 10
program = '''
local r = redis.call("BLPOP", "jobs", 10)
log("w2", r[2])
'''
[[client]]
name = "p"
start_ms = 500
program = '''
redis.call("LPUSH", "jobs", "only")
'''
[[fault]]
kind = "kill"
target = "w1"
at_ms = 100
"#);
    assert!(logs(&trace, "w1").is_empty());
    assert_eq!(logs(&trace, "w2"), ["w2 only"]);
}

#[test]
fn the_queue_story_s_workers_share_every_job_once_none_lost_to_the_kill() {
    let scenario = lockstep_lessons::stories::find("blocking_queue_workers")
        .expect("the story is in the catalogue")
        .scenario()
        .expect("the story parses");
    let trace = lockstep_sim::run(&scenario, scenario.seed).unwrap();
    let done = |worker: &str| -> Vec<String> {
        logs(&trace, worker)
            .into_iter()
            .filter_map(|l| l.split(" does ").nth(1).map(str::to_string))
            .collect()
    };
    let (one, two) = (done("worker-1"), done("worker-2"));
    assert!(!one.is_empty() && !two.is_empty(), "{one:?} {two:?}");
    let mut all: Vec<String> = one.iter().chain(&two).cloned().collect();
    all.sort_by_key(|j| j.trim_start_matches("job-").parse::<u32>().unwrap_or(0));
    let want: Vec<String> = (1..=8).map(|j| format!("job-{j}")).collect();
    assert_eq!(all, want, "every job once");
    let killed = trace
        .events
        .iter()
        .find(|e| e.actor == "worker-1" && e.what == What::Crash)
        .expect("worker-1 is killed")
        .t_us;
    // The jobs pushed after the kill all went to worker-2.
    for e in &trace.events {
        if let What::Exec { from, command, .. } = &e.what {
            if from == "producer" && command.starts_with("RPUSH") && e.t_us > killed {
                let job = command.rsplit(' ').next().unwrap_or_default();
                assert!(two.iter().any(|j| j == job), "{job} after the kill");
            }
        }
    }
}
