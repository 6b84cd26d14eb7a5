//! Random fault schedules against the story scenarios: whatever faults
//! strike, whenever and to whomever, the simulator does not panic and its
//! trace is well formed (events numbered 0..n in order, time never going
//! backwards, nothing after the end); the same run twice gives the same
//! trace; and a run without a trace, or one that stops at the first
//! violation (the explorer's), ends the same way as the recorded one.
//!
//! Faults are drawn from every kind the scenario format has, at times
//! within the scenario's duration or right after something a client does,
//! aimed mostly at an actor of the right kind but sometimes at any actor
//! or at a name that is not in the scenario (the world must ignore those:
//! `run_with` takes faults that `Scenario::validate` never saw).
//! `PROPTEST_CASES` raises the case count for a longer session.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/stories.rs"]
mod stories;

use std::rc::Rc;

use lockstep_sim::scenario::{FaultKind, FaultSpec, Scenario, Trigger, TriggerEvent};
use lockstep_sim::{RunOptions, Trace};
use proptest::prelude::*;

/// Stories with different actors: one node and a resource, a replica
/// with a sentinel, five Redlock nodes, AOF persistence, seeded data with
/// a conservation invariant, pub/sub subscribers, BLPOP workers, a
/// deploy and an operator.
const SCENARIOS: &[&str] = &[
    "gc_pause_past_ttl",
    "failover_loses_lock",
    "redlock_partition",
    "restart_with_aof",
    "bank_transfer",
    "pubsub_subscriber_killed",
    "blocking_queue_workers",
    // A deploy and an operator's command: faults that strike a client
    // while its new release is due, or the node the operator works on.
    "rolling_deploy_script_flush",
    // A three-member consensus service: crashes, cuts and clock jumps of
    // its members, elections, lease expiry.
    "consensus_lock_gc_pause",
    // The simulator's own scenarios (tests/scenarios): a database with a
    // queue, traffic to two app servers, staleness and end-of-run checks.
    "stampede_rebuild_lock",
    "rate_limiter_traffic",
    "cache_race",
    // A WAIT cut short by a failover, SHUTDOWN; the acknowledged_messages
    // check, a lock taken under a short timeout. (The sentinel's SCRIPT
    // KILL story runs a script of 80M steps: too slow to run by the
    // hundred.)
    "failover_wait_cannot_vouch",
    "shutdown_closes_connections",
    "pubsub_acknowledged",
    "lost_lock_reply",
];

/// A story by name, or one of `tests/scenarios/*.toml`.
fn scenario(name: &str) -> Scenario {
    let file = match name {
        "stampede_rebuild_lock" => include_str!("scenarios/stampede_rebuild_lock.toml"),
        "rate_limiter_traffic" => include_str!("scenarios/rate_limiter_traffic.toml"),
        "cache_race" => include_str!("scenarios/cache_race.toml"),
        "pubsub_acknowledged" => include_str!("explore/pubsub_acknowledged.toml"),
        "lost_lock_reply" => include_str!("explore/lost_lock_reply.toml"),
        story => return stories::story(story),
    };
    Scenario::parse_with_libraries(file, &stories::libraries())
        .unwrap_or_else(|e| panic!("tests/scenarios/{name}.toml: {e}"))
}

/// Who can be targeted in one scenario.
#[derive(Clone, Debug)]
struct Cast {
    nodes: Vec<String>,
    clients: Vec<String>,
    /// Every actor, resources included, and a name nobody has.
    anyone: Vec<String>,
    duration_ms: f64,
}

impl Cast {
    fn of(scenario: &Scenario) -> Cast {
        let mut anyone: Vec<String> = scenario.actor_names();
        anyone.push("nobody".into());
        Cast {
            // Consensus members are servers: crashes and restarts hit them too.
            nodes: scenario
                .nodes
                .iter()
                .map(|n| n.name.clone())
                .chain(scenario.member_names())
                .collect(),
            clients: scenario.clients.iter().map(|c| c.name.clone()).collect(),
            anyone,
            duration_ms: scenario.duration_ms as f64,
        }
    }
}

/// Mostly one of `right`, sometimes anyone at all.
fn target(right: Vec<String>, anyone: Vec<String>) -> BoxedStrategy<String> {
    prop_oneof![
        7 => prop::sample::select(right),
        1 => prop::sample::select(anyone),
    ]
    .boxed()
}

fn kind(cast: &Cast) -> BoxedStrategy<FaultKind> {
    let client = || target(cast.clients.clone(), cast.anyone.clone());
    let node = || target(cast.nodes.clone(), cast.anyone.clone());
    let clocked = || {
        let mut both = cast.nodes.clone();
        both.extend(cast.clients.iter().cloned());
        target(both, cast.anyone.clone())
    };
    let duration = cast.duration_ms;
    // Each actor goes to group 0, 1 or 2, or is left out (the rest form
    // one more side); a group may come out empty, which is legal input.
    let actors = cast.anyone.clone();
    let partition = prop::collection::vec(0usize..4, actors.len()).prop_map(move |sides| {
        let mut groups = vec![Vec::new(); 3];
        for (name, side) in actors.iter().zip(sides) {
            if side < 3 {
                groups[side].push(name.clone());
            }
        }
        FaultKind::Partition {
            groups,
            duration_ms: None,
        }
    });
    prop_oneof![
        (client(), 0.0..duration).prop_map(|(target, duration_ms)| FaultKind::Pause {
            target,
            duration_ms
        }),
        (node(), prop::option::of(0.0..10_000.0)).prop_map(|(target, restart_after_ms)| {
            FaultKind::Crash {
                target,
                restart_after_ms,
            }
        }),
        node().prop_map(|target| FaultKind::Restart { target }),
        client().prop_map(|target| FaultKind::Kill { target }),
        client().prop_map(|target| FaultKind::Restart { target }),
        client().prop_map(|target| FaultKind::LoseReply { target }),
        (node(), client(), 0.0..duration).prop_map(|(from, to, duration_ms)| {
            FaultKind::LoseOneWay {
                from: vec![from],
                to: vec![to],
                duration_ms,
            }
        }),
        (client(), node(), 0.0..duration).prop_map(|(from, to, duration_ms)| {
            FaultKind::LoseOneWay {
                from: vec![from],
                to: vec![to],
                duration_ms,
            }
        }),
        (clocked(), clocked(), 0.0..5_000.0, 0.0..duration).prop_map(
            |(one, other, extra_ms, duration_ms)| FaultKind::Delay {
                between: [vec![one], vec![other]],
                extra_ms,
                duration_ms,
            }
        ),
        node().prop_map(|target| FaultKind::Promote { target }),
        partition,
        Just(FaultKind::Heal {}),
        (clocked(), jump_ms()).prop_map(|(target, by_ms)| FaultKind::ClockJump { target, by_ms }),
        (clocked(), drift()).prop_map(|(target, drift)| FaultKind::ClockDrift { target, drift }),
    ]
    .boxed()
}

/// Jumps of seconds either way, and now and then the extremes that
/// `Scenario::validate` still lets through (any finite number).
fn jump_ms() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -30_000.0..30_000.0,
        1 => prop::sample::select(vec![-1e12, -1e9, 1e9, 1e12, 0.0]),
    ]
}

/// Clocks a little fast or slow, and now and then nearly stopped or very
/// fast (validation only asks for more than -1).
fn drift() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -0.9..2.0,
        1 => prop::sample::select(vec![-0.999_999, -0.5, 0.0, 100.0, 1e6]),
    ]
}

fn trigger_event() -> impl Strategy<Value = TriggerEvent> {
    prop_oneof![
        Just(TriggerEvent::Enter),
        Just(TriggerEvent::Leave),
        Just(TriggerEvent::Reply),
        Just(TriggerEvent::Send),
        Just(TriggerEvent::Log),
        Just(TriggerEvent::Message),
    ]
}

/// A fault at a time within the duration, or right after (or a little
/// after) the n-th time a client does something.
fn fault(cast: &Cast) -> BoxedStrategy<FaultSpec> {
    let duration = cast.duration_ms;
    let at = (kind(cast), 0.0..duration).prop_map(|(kind, at_ms)| FaultSpec {
        kind,
        at_ms,
        after: None,
    });
    let after = (
        kind(cast),
        prop::sample::select(cast.clients.clone()),
        trigger_event(),
        1u32..4,
        prop_oneof![Just(0.0), 0.0..2_000.0],
    )
        .prop_map(|(kind, actor, event, nth, delay)| FaultSpec {
            kind,
            at_ms: delay,
            after: Some(Trigger {
                actor,
                event,
                matching: None,
                nth,
            }),
        });
    prop_oneof![3 => at, 1 => after].boxed()
}

/// A story, its faults and a seed.
fn case() -> impl Strategy<Value = (Rc<Scenario>, Vec<FaultSpec>, u64)> {
    prop::sample::select(SCENARIOS).prop_flat_map(|name| {
        let scenario = Rc::new(scenario(name));
        let cast = Cast::of(&scenario);
        (
            Just(scenario),
            prop::collection::vec(fault(&cast), 0..8),
            0u64..1_000,
        )
    })
}

fn run(
    scenario: &Rc<Scenario>,
    faults: &[FaultSpec],
    seed: u64,
    record: bool,
    stop_at_violation: bool,
) -> Trace {
    let options = RunOptions {
        record,
        stop_at_violation,
        ..RunOptions::new(seed)
    };
    lockstep_sim::run_with(Rc::clone(scenario), faults.to_vec(), options)
        .unwrap_or_else(|e| panic!("the world did not build: {e}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        // Each step of shrinking is two whole runs: keep it bounded.
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_faults_never_break_the_world((scenario, faults, seed) in case()) {
        let trace = run(&scenario, &faults, seed, true, false);
        let limit_us = scenario.duration_ms * 1000;
        prop_assert!(!trace.events.is_empty(), "an empty trace");
        for (i, event) in trace.events.iter().enumerate() {
            prop_assert_eq!(event.seq, i as u64, "seq out of step at {}", i);
            if i > 0 {
                let before = &trace.events[i - 1];
                prop_assert!(
                    before.t_us <= event.t_us,
                    "time went back from {} us (seq {}) to {} us (seq {})",
                    before.t_us, before.seq, event.t_us, event.seq
                );
            }
            prop_assert!(
                event.t_us <= trace.end_us,
                "event {} at {} us is after the end ({} us)", event.seq, event.t_us, trace.end_us
            );
        }
        prop_assert!(trace.end_us <= limit_us, "ended at {} us, past the duration", trace.end_us);
        for verdict in &trace.verdicts {
            if let Some(seq) = verdict.at_seq {
                prop_assert!(
                    (seq as usize) < trace.events.len(),
                    "{} points at event {} of {}", verdict.invariant, seq, trace.events.len()
                );
            }
        }
        for event in &trace.events {
            if let lockstep_sim::trace::What::Violation { caused_by, .. } = &event.what {
                prop_assert!(
                    caused_by.iter().all(|&c| c < event.seq),
                    "violation {} is caused by later events: {:?}", event.seq, caused_by
                );
            }
        }
        // Nothing carries over from one run to the next.
        let again = run(&scenario, &faults, seed, true, false);
        prop_assert!(again.to_json() == trace.to_json(), "the same run twice gave two traces");
        // The explorer searches without a trace and shows the schedule it
        // found with one: both must end the same way.
        // (Metrics are measured on recorded events: a run without a trace
        // has no metric verdicts and every other verdict the same.)
        let quiet = run(&scenario, &faults, seed, false, false);
        prop_assert!(quiet.events.is_empty());
        let judged: Vec<_> = trace
            .verdicts
            .iter()
            .filter(|v| v.kind != lockstep_sim::trace::VerdictKind::Metric)
            .cloned()
            .collect();
        prop_assert_eq!(&quiet.verdicts, &judged);
        prop_assert_eq!(quiet.end_us, trace.end_us);
        prop_assert_eq!(&quiet.stopped, &trace.stopped);
        // And it stops at the first violation: that must be the same one.
        // (Among the invariants: the explorer's run keeps no trace to
        // measure metrics on.)
        let first = run(&scenario, &faults, seed, false, true);
        let judged_trace = Trace {
            verdicts: judged.clone(),
            ..trace.clone()
        };
        prop_assert_eq!(first.first_violation(), judged_trace.first_violation());
    }
}
