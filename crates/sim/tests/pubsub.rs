//! Pub/sub delivered to client programs: what "pub/sub is not a queue"
//! teaches. A message reaches the subscribers connected when it is
//! published and nobody else: not a killed subscriber, not one cut off by
//! a partition, not one the node dropped for a full output buffer.

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

/// The node's PUBLISH executions: (time, payload, receivers it counted).
fn publishes(trace: &Trace) -> Vec<(u64, String, String)> {
    trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Exec { command, reply, .. } if command.starts_with("PUBLISH") => Some((
                e.t_us,
                command.rsplit(' ').next().unwrap_or_default().to_string(),
                reply.clone(),
            )),
            _ => None,
        })
        .collect()
}

/// The payloads (display text) of `message` events at `actor`.
fn deliveries(trace: &Trace, actor: &str) -> Vec<String> {
    trace
        .events
        .iter()
        .filter(|e| e.actor == actor)
        .filter_map(|e| match &e.what {
            What::Message { text, .. } => Some(text.trim_matches('"').to_string()),
            _ => None,
        })
        .collect()
}

fn first(trace: &Trace, pred: impl Fn(&Event) -> bool) -> &Event {
    trace
        .events
        .iter()
        .find(|e| pred(e))
        .expect("the event should be in the trace")
}

const SUBSCRIBER: &str = r#"
program = '''
log("subscribed to", subscribe("news"))
while true do
  local m, why = next_message(3000)
  if not m then log("stopped:", why) return end
  log("got", m.data)
end
'''
"#;

const PUBLISHER: &str = r#"
[[client]]
name = "pub"
start_ms = 10
program = '''
for i = 1, 20 do
  redis.call("PUBLISH", "news", i)
  sleep(10)
end
'''
"#;

#[test]
fn a_subscriber_killed_mid_stream_misses_exactly_what_was_published_while_it_was_down() {
    let trace = run(&format!(
        r#"
[network]
latency_ms = 1
[[node]]
name = "redis"
[[client]]
name = "sub"
{SUBSCRIBER}
{PUBLISHER}
[[fault]]
kind = "kill"
target = "sub"
at_ms = 55.5
[[fault]]
kind = "restart"
target = "sub"
at_ms = 105.5
"#
    ));
    let killed = first(&trace, |e| e.actor == "sub" && e.what == What::Crash).t_us;
    let restarted = first(&trace, |e| {
        e.actor == "sub" && matches!(e.what, What::Restart { .. })
    })
    .t_us;
    // Subscribed again once its SUBSCRIBE ran on the node.
    let resubscribed = trace
        .events
        .iter()
        .filter(
            |e| matches!(&e.what, What::Exec { command, .. } if command.starts_with("SUBSCRIBE")),
        )
        .map(|e| e.t_us)
        .find(|&t| t > restarted)
        .expect("the restarted subscriber subscribes again");
    let published = publishes(&trace);
    assert_eq!(published.len(), 20);
    let (missed, heard): (Vec<_>, Vec<_>) = published
        .iter()
        .partition(|(t, _, _)| *t >= killed && *t < resubscribed);
    assert!(
        missed.len() >= 4,
        "the subscriber was down for ~50 ms of a 10 ms stream"
    );
    for (_, _, receivers) in &missed {
        assert_eq!(receivers, "(integer) 0", "nobody was listening");
    }
    for (_, _, receivers) in &heard {
        assert_eq!(receivers, "(integer) 1");
    }
    let heard: Vec<String> = heard.iter().map(|(_, data, _)| data.clone()).collect();
    assert_eq!(
        deliveries(&trace, "sub"),
        heard,
        "every message published while it was subscribed, in order, once"
    );
    let got: Vec<String> = logs(&trace, "sub")
        .into_iter()
        .filter_map(|l| l.strip_prefix("got ").map(str::to_string))
        .collect();
    assert_eq!(got, heard, "and the program read each of them");
    assert_eq!(
        logs(&trace, "sub")
            .iter()
            .filter(|l| l.as_str() == "subscribed to 1")
            .count(),
        2
    );
}

#[test]
fn the_subscribe_reply_is_one_confirmation_and_patterns_deliver_pmessages() {
    let trace = run(r#"
[[node]]
name = "redis"
[[client]]
name = "sub"
program = '''
local reply = redis.call("SUBSCRIBE", "a")
log(reply[1], reply[2], reply[3])
log("count", subscribe("b", "c"))
log("count", psubscribe("news.*"))
local m = next_message(1000)
log(m.kind, m.pattern, m.channel, m.data)
log("count", unsubscribe())
log("count", punsubscribe())
local none, why = next_message(0)
log(tostring(none), why)
'''
[[client]]
name = "pub"
start_ms = 20
program = '''
redis.call("PUBLISH", "news.eu", "hello")
'''
"#);
    assert_eq!(
        logs(&trace, "sub"),
        [
            "subscribe a 1",
            "count 3",
            "count 4",
            "pmessage news.* news.eu hello",
            "count 1",
            "count 0",
            "nil timeout",
        ]
    );
}

#[test]
fn messages_published_during_a_partition_are_lost_not_queued() {
    let trace = run(&format!(
        r#"
[network]
latency_ms = 1
[[node]]
name = "redis"
[[client]]
name = "sub"
{SUBSCRIBER}
{PUBLISHER}
[[fault]]
kind = "partition"
groups = [["sub"]]
at_ms = 50.5
duration_ms = 50
"#
    ));
    let cut = first(&trace, |e| matches!(e.what, What::Partition { .. })).t_us;
    let healed = first(&trace, |e| e.what == What::Heal).t_us;
    let lost: Vec<u64> = trace
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Drop {
                to, msg, reason, ..
            } if to == "sub" && reason == "partitioned" => Some(*msg),
            _ => None,
        })
        .collect();
    let published = publishes(&trace);
    let during: Vec<&String> = published
        .iter()
        .filter(|(t, _, _)| *t >= cut && *t < healed)
        .map(|(_, data, _)| data)
        .collect();
    assert_eq!(
        lost.len(),
        during.len(),
        "one drop per message sent meanwhile"
    );
    assert!(!during.is_empty());
    let heard = deliveries(&trace, "sub");
    for data in &during {
        assert!(!heard.contains(data), "{data} was published during the cut");
    }
    assert_eq!(heard.len() + during.len(), published.len());
}

#[test]
fn a_paused_subscriber_past_its_output_buffer_limit_is_disconnected() {
    // Each message is 30-odd bytes on the wire; a hard limit of 200 bytes
    // is passed after a handful while the subscriber cannot read.
    let trace = run(&format!(
        r#"
[network]
latency_ms = 1
[[node]]
name = "redis"
config = {{ "client-output-buffer-limit" = "pubsub 200 0 0" }}
[[client]]
name = "sub"
{SUBSCRIBER}
{PUBLISHER}
[[fault]]
kind = "pause"
target = "sub"
at_ms = 30.5
duration_ms = 150
"#
    ));
    let closed = first(&trace, |e| matches!(e.what, What::Disconnect { .. }));
    let What::Disconnect { client, reason } = &closed.what else {
        unreachable!()
    };
    assert_eq!(client, "sub");
    assert!(reason.contains("pubsub 200 0 0"), "{reason}");
    let published = publishes(&trace);
    let after: Vec<_> = published
        .iter()
        .filter(|(t, _, _)| *t > closed.t_us)
        .collect();
    assert!(!after.is_empty());
    for (_, _, receivers) in after {
        assert_eq!(receivers, "(integer) 0", "the node dropped the subscriber");
    }
    // What sat in its socket before the limit was passed is lost with the
    // connection; the program learns the server closed it.
    let lines = logs(&trace, "sub");
    let last = lines.last().expect("the subscriber logged");
    assert!(
        last.starts_with("stopped: connection closed by redis: output buffer limit"),
        "{last}"
    );
    let before_pause: Vec<String> = published
        .iter()
        .filter(|(t, _, _)| *t < 30_500)
        .map(|(_, d, _)| d.clone())
        .collect();
    assert_eq!(deliveries(&trace, "sub"), before_pause);
}

#[test]
fn a_soft_limit_tolerates_a_short_pause_but_not_a_long_one() {
    let scenario = |pause_ms: u32| {
        format!(
            r#"
[network]
latency_ms = 1
[[node]]
name = "redis"
config = {{ "client-output-buffer-limit" = "pubsub 0 100 1" }}
[[client]]
name = "sub"
{SUBSCRIBER}
[[client]]
name = "pub"
start_ms = 10
program = '''
for i = 1, 40 do
  redis.call("PUBLISH", "news", i)
  sleep(100)
end
'''
[[fault]]
kind = "pause"
target = "sub"
at_ms = 50
duration_ms = {pause_ms}
"#
        )
    };
    let short = run(&scenario(1500));
    assert!(
        !short
            .events
            .iter()
            .any(|e| matches!(e.what, What::Disconnect { .. })),
        "over the soft limit for about a second is within `1` second"
    );
    assert_eq!(deliveries(&short, "sub").len(), 40);
    let long = run(&scenario(3500));
    assert!(long
        .events
        .iter()
        .any(|e| matches!(e.what, What::Disconnect { .. })));
}

#[test]
fn the_story_s_worker_never_sees_the_jobs_published_while_it_was_down() {
    let scenario = lockstep_lessons::stories::find("pubsub_subscriber_killed")
        .expect("the story is in the catalogue")
        .scenario()
        .expect("the story parses");
    let trace = lockstep_sim::run(&scenario, scenario.seed).unwrap();
    let nobody: Vec<String> = logs(&trace, "producer")
        .into_iter()
        .filter_map(|l| l.strip_suffix(" reached nobody").map(str::to_string))
        .collect();
    assert!(!nobody.is_empty());
    let worked: Vec<String> = logs(&trace, "worker")
        .into_iter()
        .filter_map(|l| l.strip_prefix("working on ").map(str::to_string))
        .collect();
    let published: Vec<String> = publishes(&trace).into_iter().map(|(_, d, _)| d).collect();
    let expected: Vec<String> = published
        .iter()
        .filter(|d| !nobody.contains(d))
        .cloned()
        .collect();
    assert_eq!(worked, expected);
}

#[test]
fn a_fault_can_strike_right_after_the_nth_message_a_subscriber_receives() {
    let trace = run(&format!(
        r#"
[network]
latency_ms = 1
[[node]]
name = "redis"
[[client]]
name = "sub"
{SUBSCRIBER}
{PUBLISHER}
[[fault]]
kind = "kill"
target = "sub"
at_ms = 0
after = {{ actor = "sub", event = "message", nth = 3 }}
"#
    ));
    assert_eq!(deliveries(&trace, "sub"), ["1", "2", "3"]);
    let got: Vec<String> = logs(&trace, "sub");
    assert_eq!(
        got,
        ["subscribed to 1", "got 1", "got 2"],
        "killed before its program read the third"
    );
}

/// The worker that treats a channel as a job queue (the explorer's
/// `pubsub_acknowledged.toml`), with `faults` added.
fn job_queue(faults: &str) -> Trace {
    run(&format!(
        "{}\n{faults}",
        include_str!("explore/pubsub_acknowledged.toml")
    ))
}

fn acknowledged_messages(trace: &Trace) -> &lockstep_sim::trace::Verdict {
    trace
        .verdicts
        .iter()
        .find(|v| v.invariant == "acknowledged_messages(jobs to worker)")
        .expect("the invariant's verdict")
}

#[test]
fn every_acknowledged_job_is_taken_when_nothing_goes_wrong_or_the_worker_only_pauses() {
    let quiet = job_queue("");
    assert!(acknowledged_messages(&quiet).held);
    assert_eq!(logs(&quiet, "worker").len(), 10, "ten jobs done");
    let paused = job_queue(
        r#"
[[fault]]
kind = "pause"
target = "worker"
duration_ms = 2000
at_ms = 300
"#,
    );
    assert!(
        acknowledged_messages(&paused).held,
        "the jobs waited in the socket: {:?}",
        acknowledged_messages(&paused).message
    );
}

#[test]
fn a_worker_killed_with_jobs_unread_loses_jobs_publish_acknowledged() {
    let trace = job_queue(
        r#"
[[fault]]
kind = "kill"
target = "worker"
at_ms = 700
"#,
    );
    let verdict = acknowledged_messages(&trace);
    assert!(!verdict.held);
    let message = verdict.message.as_deref().unwrap_or_default();
    let named: Vec<&str> = message
        .split("PUBLISH jobs ")
        .skip(1)
        .filter_map(|rest| rest.split(' ').next())
        .map(|job| job.trim_matches('"'))
        .collect();
    assert!(!named.is_empty(), "{message}");
    let done: Vec<String> = logs(&trace, "worker");
    let acknowledged: Vec<String> = publishes(&trace)
        .into_iter()
        .filter(|(_, _, reply)| reply.contains('1'))
        .map(|(_, job, _)| job.trim_matches('"').to_string())
        .collect();
    for job in named {
        assert!(acknowledged.iter().any(|j| j == job), "{job}: {message}");
        assert!(
            !done.iter().any(|l| l.ends_with(&format!(" {job}"))),
            "{job} was done: {message}"
        );
    }
    // Jobs published once the node knew the worker was gone went to
    // nobody: PUBLISH said 0, so they are not among the acknowledged.
    let nobody = logs(&trace, "producer");
    assert!(!nobody.is_empty());
    for line in &nobody {
        let job = line.trim_end_matches(" reached nobody");
        assert!(!message.contains(&format!("{job}\"")), "{job}: {message}");
    }
}

#[test]
fn a_subscription_that_lands_after_its_process_was_killed_ends_with_the_closed_socket() {
    // Killed right after sending SUBSCRIBE: the command still runs, on a
    // connection the kill did not close; its answer meets the closed
    // socket, and from then on PUBLISH counts nobody.
    let trace = job_queue(
        r#"
[[fault]]
kind = "kill"
target = "worker"
at_ms = 0
after = { actor = "worker", event = "send" }
"#,
    );
    let subscribed = first(
        &trace,
        |e| matches!(&e.what, What::Exec { command, .. } if command == "SUBSCRIBE jobs"),
    );
    let crashed = first(&trace, |e| {
        e.actor == "worker" && matches!(e.what, What::Crash)
    });
    assert!(crashed.t_us < subscribed.t_us);
    let replies: Vec<String> = publishes(&trace).into_iter().map(|(_, _, r)| r).collect();
    assert_eq!(replies.len(), 10);
    assert!(replies.iter().all(|r| r == "(integer) 0"), "{replies:?}");
    assert!(acknowledged_messages(&trace).held);
}
