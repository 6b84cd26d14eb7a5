//! The traffic generator: users sending at a rate, in bursts or as a
//! Poisson process, routed to app servers, each request's outcome counted
//! — read back through the metric language.

use lockstep_sim::metric::evaluate;
use lockstep_sim::trace::{Trace, What};
use lockstep_sim::Scenario;

#[path = "support/stories.rs"]
mod stories;

const RATE_LIMITER: &str = include_str!("scenarios/rate_limiter_traffic.toml");

fn scenario(toml: &str) -> Scenario {
    Scenario::parse_with_libraries(toml, &stories::libraries())
        .unwrap_or_else(|e| panic!("{e}\n{toml}"))
}

fn run(scenario: &Scenario, seed: u64) -> Trace {
    lockstep_sim::run(scenario, seed).unwrap()
}

fn metric(trace: &Trace, source: &str) -> f64 {
    evaluate(source, trace)
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("{source} measured nothing"))
}

#[test]
fn a_shared_fixed_window_lets_the_limit_through_each_second() {
    let scenario = scenario(RATE_LIMITER);
    let traffic = &scenario.traffic[0];
    let limit = 10.0;
    let sent = traffic.rate_per_s * traffic.duration_ms / 1000.0;
    let seconds = (traffic.duration_ms / 1000.0).ceil();
    let trace = run(&scenario, 1);
    assert_eq!(metric(&trace, "count(users request)"), sent);
    assert_eq!(
        metric(&trace, "count(outcome)"),
        sent,
        "every request served"
    );
    assert_eq!(
        metric(&trace, "count(outcome text=allowed)"),
        limit * seconds
    );
    assert_eq!(
        metric(&trace, "count(outcome text=rejected)"),
        sent - limit * seconds
    );
    assert_eq!(metric(&trace, "rate(outcome text=allowed, per=1s)"), limit);
    // Round robin: the two servers share the load evenly.
    assert_eq!(metric(&trace, "count(app-1 outcome)"), sent / 2.0);
    assert_eq!(metric(&trace, "count(request to=app-2)"), sent / 2.0);
    assert!(
        trace.verdicts.iter().all(|v| v.held),
        "{:?}",
        trace.verdicts
    );
    assert_eq!(trace.stopped, "every client finished");
}

#[test]
fn a_burst_beyond_the_limit_is_cut_to_the_limit() {
    let toml = RATE_LIMITER.replace(
        "pattern = \"steady\"",
        "pattern = \"burst\"\nburst = 25\nevery_ms = 1000",
    );
    let trace = run(&scenario(&toml), 1);
    assert_eq!(metric(&trace, "count(request)"), 50.0, "two bursts of 25");
    assert_eq!(metric(&trace, "count(outcome text=allowed)"), 20.0);
    assert_eq!(metric(&trace, "first(request)"), 0.0);
    assert_eq!(metric(&trace, "last(request)"), 1000.0);
}

#[test]
fn poisson_traffic_depends_on_the_seed_and_every_request_gets_an_outcome() {
    let toml = RATE_LIMITER.replace("pattern = \"steady\"", "pattern = \"poisson\"");
    let scenario = scenario(&toml);
    let counts: Vec<f64> = (1..=3)
        .map(|seed| {
            let trace = run(&scenario, seed);
            let sent = metric(&trace, "count(request)");
            assert_eq!(metric(&trace, "count(outcome)"), sent);
            assert!(metric(&trace, "count(outcome text=allowed)") <= 20.0);
            sent
        })
        .collect();
    assert!(
        counts.windows(2).any(|w| w[0] != w[1]),
        "the seed draws the arrivals: {counts:?}"
    );
    // 80 expected, standard deviation about 9.
    assert!(
        counts.iter().all(|&n| (45.0..=115.0).contains(&n)),
        "{counts:?}"
    );
    assert_eq!(
        run(&scenario, 2).events.len(),
        run(&scenario, 2).events.len()
    );
}

#[test]
fn sticky_routing_keeps_each_user_on_one_server() {
    let toml = RATE_LIMITER.replace(
        "pattern = \"steady\"",
        "pattern = \"poisson\"\nrouting = \"sticky\"",
    );
    let trace = run(&scenario(&toml), 1);
    let mut server_of = std::collections::BTreeMap::new();
    for event in &trace.events {
        if let What::Outcome { user, .. } = &event.what {
            let first = server_of.entry(*user).or_insert(event.actor.clone());
            assert_eq!(first, &event.actor, "user {user} moved");
        }
    }
    assert!(server_of.len() > 1, "{server_of:?}");
}

#[test]
fn a_killed_server_loses_its_requests_and_the_rest_are_served() {
    let toml =
        format!("{RATE_LIMITER}\n[[fault]]\nkind = \"kill\"\ntarget = \"app-2\"\nat_ms = 500\n");
    let trace = run(&scenario(&toml), 1);
    let sent = metric(&trace, "count(request)");
    let lost = metric(&trace, "count(drop text=\"no process to serve it\")");
    assert!(lost > 0.0);
    // What app-2 was serving when it died has no outcome and no drop: at
    // most one request, at 20 a second per server and a few ms each.
    let unanswered = sent - metric(&trace, "count(outcome)") - lost;
    assert!((0.0..=1.0).contains(&unanswered), "{unanswered}");
    assert_eq!(
        metric(&trace, "count(app-1 outcome)"),
        metric(&trace, "count(request to=app-1)"),
        "the surviving server answers all of its share"
    );
    assert_eq!(trace.stopped, "every client finished");
}

#[test]
fn bad_traffic_gets_a_clear_error() {
    let error = |from: &str, to: &str| {
        Scenario::parse_with_libraries(&RATE_LIMITER.replace(from, to), &stories::libraries())
            .expect_err("refused")
            .message
    };
    assert!(error("to = [\"app-1\", \"app-2\"]", "to = [\"web\"]")
        .contains("to = \"web\" is not a [[client]]"));
    assert!(error("rate_per_s = 40", "rate_per_s = 0").contains("rate_per_s must be above 0"));
    assert!(error("users = 5", "users = 0").contains("users must be at least 1"));
    assert!(error("rate_per_s = 40", "rate_per_s = 1e9")
        .contains("would send about 2000000000 requests; at most 100000"));
    assert!(error("pattern = \"steady\"", "pattern = \"wave\"").contains("unknown variant"));
}
