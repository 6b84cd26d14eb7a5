use super::*;
use crate::trace::{Event, Trace, What};

fn event(seq: u64, t_ms: u64, actor: &str, what: What) -> Event {
    Event {
        seq,
        t_us: t_ms * 1000,
        actor: actor.into(),
        local_ms: t_ms as f64,
        what,
        state: None,
    }
}

fn send(msg: u64, text: &str) -> What {
    What::Send {
        to: "redis".into(),
        msg,
        text: text.into(),
    }
}

fn receive(msg: u64) -> What {
    What::Receive {
        from: "redis".into(),
        msg,
        text: "OK".into(),
        late: false,
    }
}

/// Two clients: client-1 sends twice (replies after 2 and 6 ms),
/// client-2 once (after 4 ms), and one command of client-2 times out.
fn trace() -> Trace {
    let events = vec![
        event(0, 0, "client-1", send(1, "SET lock a NX")),
        event(1, 0, "client-2", send(2, "SET lock b NX")),
        event(2, 2, "client-1", receive(1)),
        event(3, 4, "client-2", receive(2)),
        event(4, 1000, "client-1", send(3, "SET lock a NX")),
        event(5, 1006, "client-1", receive(3)),
        event(6, 1500, "client-2", send(4, "GET lock")),
        event(
            7,
            2500,
            "client-2",
            What::Timeout {
                to: "redis".into(),
                msg: 4,
            },
        ),
    ];
    Trace {
        events,
        end_us: 2_500_000,
        ..Trace::default()
    }
}

fn value(source: &str) -> Option<f64> {
    Metric::parse(source)
        .unwrap_or_else(|e| panic!("{e}"))
        .value(&trace())
}

#[test]
fn counts_and_retries_follow_the_filter() {
    assert_eq!(value("count(send)"), Some(4.0));
    assert_eq!(value("count(client-* sends text=\"SET lock\")"), Some(3.0));
    assert_eq!(value("count(actor=client-2 type=send)"), Some(2.0));
    assert_eq!(value("count(client-1 send key=lock)"), Some(2.0));
    assert_eq!(value("retries(send text=\"SET lock\")"), Some(1.0));
    assert_eq!(value("count(timeout to=redis)"), Some(1.0));
    assert_eq!(value("count(violation)"), Some(0.0));
}

#[test]
fn latency_statistics_leave_out_commands_without_a_reply() {
    assert_eq!(value("max(latency)"), Some(6.0));
    assert_eq!(value("min(latency)"), Some(2.0));
    assert_eq!(value("mean(latency)"), Some(4.0));
    assert_eq!(value("p50(latency)"), Some(4.0), "nearest rank of 2, 4, 6");
    assert_eq!(value("p99(latency, client-1)"), Some(6.0));
    assert_eq!(value("p50(latency, client-9)"), None, "nothing to measure");
}

#[test]
fn first_last_and_rate_read_times() {
    assert_eq!(value("first(timeout)"), Some(2500.0));
    assert_eq!(value("last(receive)"), Some(1006.0));
    assert_eq!(value("first(violation)"), None);
    assert_eq!(value("rate(send, per=1s)"), Some(2.0));
    assert_eq!(value("rate(send, per=2s)"), Some(4.0));
    let series = Metric::parse("rate(send, per=1s)")
        .unwrap_or_else(|e| panic!("{e}"))
        .series(&trace());
    let counts: Vec<f64> = series.iter().map(|p| p.value).collect();
    assert_eq!(counts, vec![2.0, 2.0, 0.0]);
    let growing = Metric::parse("count(send)")
        .unwrap_or_else(|e| panic!("{e}"))
        .series(&trace());
    assert_eq!(
        growing.last().map(|p| (p.t_ms, p.value)),
        Some((1500.0, 4.0))
    );
}

#[test]
fn bad_metrics_get_errors_that_say_what_to_write() {
    let error = |s: &str| Metric::parse(s).expect_err(s);
    assert!(error("count").contains("expected FUNCTION(...)"));
    assert!(error("median(latency)").contains("unknown function `median`"));
    assert!(error("p99(client-1)").contains("`client-1` is not a quantity"));
    assert!(error("p99(latency, client-1 receive)").contains("from `send` events"));
    assert!(error("count(send, per=1s)").contains("belongs to rate"));
    assert!(error("rate(send, per=0s)").contains("wants a duration above 0"));
    assert!(error("count(client-1 client-2)").contains("neither an event type"));
    assert!(error("count(text=\"open)").contains("unbalanced quote"));
    assert!(error("count(colour=red)").contains("unknown field `colour=`"));
    assert!(error("count(send,,)").contains("empty argument"));
}

#[test]
fn an_assertion_holds_within_its_bounds_and_names_the_value_when_not() {
    let spec = |min, max| MetricSpec {
        query: "count(send)".into(),
        min,
        max,
    };
    assert!(spec(None, Some(4.0)).verdict(&trace()).held);
    let over = spec(None, Some(3.0)).verdict(&trace());
    assert!(!over.held);
    assert_eq!(
        over.message.as_deref(),
        Some("count(send) = 4, above the maximum 3")
    );
    assert_eq!(over.at_seq, Some(7));
    assert_eq!(spec(Some(5.0), None).describe(), "count(send) ≥ 5");
    assert!(spec(None, None).check().is_err());
    assert!(spec(Some(2.0), Some(1.0)).check().is_err());
}

#[test]
fn globs() {
    assert!(glob("client-*", "client-12"));
    assert!(glob("*-1", "client-1"));
    assert!(glob("c*t-*", "client-3"));
    assert!(!glob("client-*", "redis"));
    assert!(!glob("a*a", "a"));
}
