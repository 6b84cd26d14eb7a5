//! The explorer against scenarios that give no faults at all
//! (`tests/explore/*.toml`): it has to find the fault that breaks each one
//! within the scenario's own `[explore]` budget, shrink it to the fewest
//! faults, and hand back a schedule that fails again when replayed. Where the
//! lesson has a fix, the fix is graded with the same budget and passes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use lockstep_sim::explore::grade::{self, Edit};
use lockstep_sim::explore::{Counterexample, Coverage, Explorer, Finding};
use lockstep_sim::scenario::{FaultKind, TriggerEvent};
use lockstep_sim::trace::{KeyState, What};
use lockstep_sim::{run_with, RunOptions, Scenario, Trace};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `lessons/lib/*.lua` by file stem, as the lessons crate embeds them.
fn libraries() -> BTreeMap<String, String> {
    let dir = workspace().join("lessons/lib");
    let mut libraries = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("lessons/lib") {
        let path = entry.expect("lessons/lib entry").path();
        if path.extension().is_some_and(|e| e == "lua") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            libraries.insert(stem, std::fs::read_to_string(&path).unwrap());
        }
    }
    libraries
}

/// A scenario of `tests/explore`, which must leave the faults to the
/// explorer and state its budget.
fn load(file: &str) -> Scenario {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/explore")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
    let scenario = Scenario::parse_with_libraries(&text, &libraries())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(
        scenario.faults.is_empty(),
        "{file}: the explorer must find the faults itself"
    );
    assert!(scenario.explore.is_some(), "{file}: no [explore] budget");
    scenario
}

fn failed(trace: &Trace) -> Vec<String> {
    trace
        .verdicts
        .iter()
        .filter(|v| !v.held)
        .map(|v| format!("{}: {}", v.invariant, v.message.as_deref().unwrap_or("")))
        .collect()
}

/// The fault-free run holds every invariant and does the work.
fn assert_baseline_passes(scenario: &Scenario) {
    let trace = lockstep_sim::run(scenario, scenario.seed).unwrap();
    assert!(
        failed(&trace).is_empty(),
        "{}: fault-free run fails: {:?}",
        scenario.title,
        failed(&trace)
    );
}

fn explore(scenario: &Scenario) -> Finding {
    let budget = scenario.explore.clone().unwrap();
    Explorer::new(scenario, budget, scenario.seed)
        .unwrap()
        .run(100, |_| true)
}

/// Explores `file` and checks the counterexample: exactly `faults` faults,
/// a failed verdict in its trace, and the same trace again when its
/// schedule is replayed with its seed.
fn counterexample(file: &str, faults: usize) -> (Scenario, Counterexample) {
    let scenario = load(file);
    if faults > 0 {
        // Fewer faults do not do: the fault-free run passes.
        assert_baseline_passes(&scenario);
    }
    let found = match explore(&scenario) {
        Finding::Violation(found) => *found,
        Finding::NoViolation(coverage) => {
            panic!(
                "{file}: expected a counterexample, got: {}",
                coverage.statement()
            )
        }
    };
    assert_eq!(found.faults.len(), faults, "{file}: {:?}", found.faults);
    assert_eq!(
        found.specs.is_empty(),
        faults == 0,
        "{file}: {:?}",
        found.specs
    );
    let broken = failed(&found.trace);
    let liveness_failed = found
        .trace
        .verdicts
        .iter()
        .any(|v| v.invariant.starts_with("liveness") && !v.held);
    assert!(
        found.trace.first_violation().is_some() || liveness_failed,
        "{file}: the counterexample's trace records no violation"
    );
    let replay = run_with(
        Rc::new(scenario.clone()),
        found.specs.clone(),
        RunOptions::new(found.seed),
    )
    .unwrap();
    assert_eq!(
        failed(&replay),
        broken,
        "{file}: the replay fails differently"
    );
    assert!(
        replay.to_json() == found.trace.to_json(),
        "{file}: replaying {:?} with seed {} gives another trace",
        found.faults,
        found.seed
    );
    (scenario, found)
}

/// The program of `client` with `from` replaced by `to` (which must occur).
fn fixed_program(scenario: &Scenario, client: &str, from: &str, to: &str) -> Edit {
    let spec = scenario.clients.iter().find(|c| c.name == client).unwrap();
    let source = spec.program.as_deref().unwrap();
    assert!(source.contains(from), "{client}'s program has no `{from}`");
    Edit::Program {
        client: client.to_string(),
        source: source.replace(from, to),
    }
}

/// Grades `edits` with the scenario's own budget: the fix must pass, and say
/// within which bounds.
fn assert_fix_passes(scenario: &Scenario, edits: &[Edit]) -> Coverage {
    let budget = scenario.explore.clone().unwrap();
    let bounds = budget.describe(scenario.duration_ms);
    let grade = grade::grade(scenario, edits, budget, scenario.seed, |_| true).unwrap();
    assert!(
        grade.passed,
        "{}: the fix does not pass: {}",
        scenario.title, grade.summary
    );
    assert!(grade.summary.contains(&bounds), "{}", grade.summary);
    match grade.finding {
        Some(Finding::NoViolation(coverage)) => {
            assert!(!coverage.cancelled);
            assert!(coverage
                .statement()
                .contains("No violation found within these bounds"));
            assert!(
                coverage.statement().contains(&bounds),
                "{}",
                coverage.statement()
            );
            println!("{}: {}", scenario.title, grade.summary);
            coverage
        }
        other => panic!(
            "{}: graded without a coverage statement: {other:?}",
            scenario.title
        ),
    }
}

/// The keys a node holds at the end of a run.
fn keys_at_end(trace: &Trace, node: &str) -> Vec<KeyState> {
    let state = trace
        .events
        .iter()
        .rev()
        .find_map(|e| e.state.as_ref())
        .expect("a recorded state");
    state.nodes[node].keys.clone()
}

/// `(time, command, reply)` of every command `node` ran for `client`.
fn execs<'t>(trace: &'t Trace, node: &str, client: &str) -> Vec<(u64, &'t str, &'t str)> {
    trace
        .events
        .iter()
        .filter(|e| e.actor == node)
        .filter_map(|e| match &e.what {
            What::Exec {
                from,
                command,
                reply,
                ..
            } if from == client => Some((e.t_us, command.as_str(), reply.as_str())),
            _ => None,
        })
        .collect()
}

#[test]
fn setnx_then_expire_a_kill_in_between_locks_everyone_out() {
    let (scenario, found) = counterexample("setnx_expire.toml", 1);
    // client-1 dies once its SETNX is on its way (or answered), before EXPIRE.
    let spec = &found.specs[0];
    assert_eq!(
        spec.kind,
        FaultKind::Kill {
            target: "client-1".into()
        },
        "{:?}",
        found.faults
    );
    let trigger = spec
        .after
        .as_ref()
        .expect("placed after an event of client-1");
    assert_eq!((trigger.actor.as_str(), trigger.nth), ("client-1", 1));
    assert!(
        matches!(trigger.event, TriggerEvent::Send | TriggerEvent::Reply),
        "{trigger:?}"
    );
    let commands: Vec<&str> = execs(&found.trace, "redis", "client-1")
        .iter()
        .map(|(_, command, _)| *command)
        .collect();
    assert!(
        commands.len() == 1 && commands[0].starts_with("SETNX"),
        "{commands:?}"
    );
    // The key stays forever and client-2 gives up: liveness fails, safety holds.
    let lock = keys_at_end(&found.trace, "redis");
    assert!(
        lock.iter()
            .any(|k| k.key == "lock:report" && k.ttl_ms.is_none()),
        "{lock:?}"
    );
    let broken = failed(&found.trace);
    assert!(
        broken.len() == 1 && broken[0].starts_with("liveness") && broken[0].contains("client-2"),
        "{broken:?}"
    );

    // SET key id NX PX ttl: one command, nothing to die between.
    let fix = fixed_program(
        &scenario,
        "client-1",
        "lock.acquire_naive(",
        "lock.acquire(",
    );
    assert_fix_passes(&scenario, &[fix]);
}

#[test]
fn release_without_owner_check_a_late_del_frees_someone_elses_lock() {
    let (scenario, found) = counterexample("release_without_owner_check.toml", 1);
    assert!(
        matches!(&found.specs[0].kind, FaultKind::Pause { target, .. } if target == "client-1"),
        "{:?}",
        found.faults
    );
    // The two inside together are client-2 and client-3: client-1's own turn
    // was over, only its DEL came late.
    let violation = found.trace.first_violation().unwrap();
    assert_eq!(violation.invariant, "mutual_exclusion(report)");
    let message = violation.message.as_deref().unwrap();
    assert!(
        message.contains("client-2")
            && message.contains("client-3")
            && !message.contains("client-1"),
        "{message}"
    );
    // client-1's DEL deleted a key that another client had set after client-1's expired.
    let trace = &found.trace;
    let (del_at, _, del_reply) = *execs(trace, "redis", "client-1")
        .iter()
        .find(|(_, command, _)| command.starts_with("DEL lock:report"))
        .expect("client-1's DEL ran");
    assert_eq!(del_reply, "(integer) 1");
    let taken_by_other = ["client-2", "client-3"].iter().any(|other| {
        execs(trace, "redis", other)
            .iter()
            .any(|(t, command, reply)| {
                *t < del_at && command.starts_with("SET lock:report") && *reply == "OK"
            })
    });
    assert!(
        taken_by_other,
        "nobody else held the lock when client-1 deleted it"
    );
    assert!(violation.at_us.unwrap() > del_at);

    // Compare-and-delete: a late release finds someone else's id and leaves it.
    let fixes: Vec<Edit> = ["client-1", "client-2", "client-3"]
        .iter()
        .map(|client| {
            fixed_program(
                &scenario,
                client,
                "lock.release_unsafe(\"lock:report\")",
                "lock.release(\"lock:report\", id)",
            )
        })
        .collect();
    assert_fix_passes(&scenario, &fixes);
}

#[test]
fn ttl_shorter_than_the_work_fails_with_no_fault_at_all() {
    let (_, found) = counterexample("ttl_shorter_than_work.toml", 0);
    assert_eq!(found.found_after, 1, "the fault-free run is the answer");
    let violation = found.trace.first_violation().unwrap();
    assert_eq!(violation.invariant, "mutual_exclusion(report)");
}

#[test]
fn gc_pause_past_the_ttl_without_fencing_lets_a_stale_write_in() {
    let (_, found) = counterexample("gc_pause.toml", 1);
    let spec = &found.specs[0];
    assert!(
        matches!(&spec.kind, FaultKind::Pause { target, duration_ms } if target == "client-1" && *duration_ms > 9000.0),
        "{:?}",
        found.faults
    );
    let violation = found.trace.first_violation().unwrap();
    assert_eq!(violation.invariant, "no_stale_writes(storage)");

    // The very same schedule against the fenced storage: client-1's late
    // write is turned away, nothing stale gets in.
    let fenced = load("gc_pause_fenced.toml");
    let trace = run_with(
        Rc::new(fenced),
        found.specs.clone(),
        RunOptions::new(found.seed),
    )
    .unwrap();
    assert!(failed(&trace).is_empty(), "{:?}", failed(&trace));
    let rejected = trace.events.iter().any(|e| {
        e.actor == "storage"
            && matches!(&e.what, What::Write { from, accepted: false, .. } if from == "client-1")
    });
    assert!(rejected, "client-1's stale write was not rejected");
}

#[test]
fn gc_pause_with_fencing_tokens_no_violation_within_the_bounds() {
    let scenario = load("gc_pause_fenced.toml");
    assert_baseline_passes(&scenario);
    let bounds = scenario
        .explore
        .clone()
        .unwrap()
        .describe(scenario.duration_ms);
    match explore(&scenario) {
        Finding::NoViolation(coverage) => {
            assert!(!coverage.cancelled);
            assert_eq!(
                coverage.systematic_tried, coverage.systematic_total,
                "{coverage:?}"
            );
            let statement = coverage.statement();
            println!("{}: {statement}", scenario.title);
            assert!(
                statement.contains("No violation found within these bounds"),
                "{statement}"
            );
            assert!(statement.contains(&bounds), "{statement}");
        }
        Finding::Violation(found) => panic!(
            "fencing should hold, but: {:?} broke {:?}",
            found.faults,
            failed(&found.trace)
        ),
    }
}

#[test]
fn redlock_a_node_restarted_without_persistence_forgets_the_lock() {
    let (_, found) = counterexample("redlock_restart.toml", 1);
    let restarted = match &found.specs[0].kind {
        FaultKind::Crash {
            target,
            restart_after_ms: Some(_),
        } => target.clone(),
        other => panic!(
            "expected a crash and restart, got {other:?} ({:?})",
            found.faults
        ),
    };
    assert!(restarted == "r1" || restarted == "r2", "{restarted}");
    let violation = found.trace.first_violation().unwrap();
    assert_eq!(violation.invariant, "mutual_exclusion(job)");
    assert!(violation
        .message
        .as_deref()
        .unwrap()
        .starts_with("client-2 entered"));
    // client-2 got the restarted node, which had forgotten client-1's key.
    let trace = &found.trace;
    let took = execs(trace, &restarted, "client-2")
        .iter()
        .any(|(t, command, reply)| {
            *t < violation.at_us.unwrap() && command.starts_with("SET lock:job") && *reply == "OK"
        });
    assert!(took, "client-2 did not take the lock on {restarted}");
    assert!(trace
        .events
        .iter()
        .any(|e| e.actor == restarted && matches!(e.what, What::Restart { .. })));
}

#[test]
fn fixed_window_a_stall_turns_the_backlog_into_a_boundary_burst() {
    let (scenario, found) = counterexample("fixed_window.toml", 1);
    assert!(
        matches!(&found.specs[0].kind, FaultKind::Pause { target, .. } if target == "client-1"),
        "{:?}",
        found.faults
    );
    let violation = found.trace.first_violation().unwrap();
    assert_eq!(violation.invariant, "rate(api ≤ 5 per 1000 ms)");
    // The entries it counts straddle a window boundary, and no single
    // window let more than 5 through.
    let caused_by = found
        .trace
        .events
        .iter()
        .find_map(|e| match &e.what {
            What::Violation { caused_by, .. } => Some(caused_by.clone()),
            _ => None,
        })
        .unwrap();
    let mut per_window: BTreeMap<u64, u32> = BTreeMap::new();
    for event in found
        .trace
        .events
        .iter()
        .filter(|e| caused_by.contains(&e.seq))
    {
        assert!(matches!(event.what, What::Enter { .. }), "{event:?}");
        *per_window
            .entry((event.local_ms / 1000.0) as u64)
            .or_default() += 1;
    }
    assert!(per_window.len() >= 2, "{per_window:?}");
    assert!(per_window.values().all(|&n| n <= 5), "{per_window:?}");

    // A sliding-window log counts the last 1000 ms, wherever the boundary falls.
    let fix = fixed_program(
        &scenario,
        "client-1",
        "ratelimit.fixed_window",
        "ratelimit.sliding_log",
    );
    assert_fix_passes(&scenario, &[fix]);
}

/// Every reply of `client-1` arrives after its 5 ms timeout (the link takes
/// 10 ms each way), so the program never sees one.
const LATE_REPLIES: &str = r#"
title = "every reply late"
duration_ms = 2000
[network]
latency_ms = 10
[[node]]
name = "redis"
[[client]]
name = "client-1"
timeout_ms = 5
program = '''
for i = 1, 3 do redis.pcall("SET", "k", i) sleep(50) end
'''
[[invariant]]
kind = "mutual_exclusion"
name = "report"
[explore]
kinds = ["kill"]
schedules = 400
"#;

#[test]
fn late_replies_trigger_nothing_in_the_world_nor_in_the_explorers_plan() {
    use lockstep_sim::explore::schedule::{self, Placement};
    let scenario = Scenario::parse(LATE_REPLIES).unwrap();
    let baseline = lockstep_sim::run(&scenario, 1).unwrap();
    let late = baseline
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Receive { late: true, .. }))
        .count();
    assert!(late >= 3, "the replies should all be late: {late}");
    let budget = scenario.explore.clone().unwrap();
    let moments = schedule::moments(&baseline, &budget, scenario.duration_ms);
    let after_reply: Vec<_> = moments
        .iter()
        .filter(|m| {
            matches!(
                m.placement,
                Placement::After {
                    event: TriggerEvent::Reply,
                    ..
                }
            )
        })
        .collect();
    assert!(
        after_reply.is_empty(),
        "planned after replies the program never saw: {after_reply:?}"
    );
    // The world agrees: a kill after the 1st reply never strikes.
    let kill_after_reply = lockstep_sim::scenario::FaultSpec {
        kind: FaultKind::Kill {
            target: "client-1".into(),
        },
        at_ms: 0.0,
        after: Some(lockstep_sim::scenario::Trigger {
            actor: "client-1".into(),
            event: TriggerEvent::Reply,
            matching: None,
            nth: 1,
        }),
    };
    let trace = run_with(
        Rc::new(scenario.clone()),
        vec![kill_after_reply],
        RunOptions::new(1),
    )
    .unwrap();
    assert!(!trace.events.iter().any(|e| matches!(e.what, What::Crash)));
}

#[test]
fn coverage_counts_only_the_schedules_whose_faults_struck() {
    // The client is done after about 60 ms of a 2000 ms scenario: faults
    // planned on the later grid times never strike.
    let scenario = Scenario::parse(LATE_REPLIES).unwrap();
    let coverage = match explore(&scenario) {
        Finding::NoViolation(coverage) => coverage,
        Finding::Violation(found) => panic!("no violation expected: {:?}", found.faults),
    };
    assert!(coverage.struck < coverage.tried, "{coverage:?}");
    assert!(coverage.struck > 0, "{coverage:?}");
    let statement = coverage.statement();
    assert!(
        statement.contains(&format!(
            "{} schedules planned, {} struck",
            coverage.tried, coverage.struck
        )),
        "{statement}"
    );
}

#[test]
fn the_explorer_tries_delays_and_finds_a_reply_past_the_timeout() {
    let scenario = Scenario::parse(
        r#"
title = "a lock reply after the timeout"
duration_ms = 20000
[[node]]
name = "redis"
[[client]]
name = "client-1"
timeout_ms = 500
program = '''
redis.call("SET", "lock", "me", "NX", "PX", 10000)
sleep(3000)
'''
[liveness]
finished = ["client-1"]
[explore]
kinds = ["delay"]
delay_ms = [200, 1000]
delay_for_ms = 2000
schedules = 200
"#,
    )
    .unwrap();
    assert_baseline_passes(&scenario);
    let found = match explore(&scenario) {
        Finding::Violation(found) => found,
        Finding::NoViolation(coverage) => panic!("{}", coverage.statement()),
    };
    assert_eq!(found.faults.len(), 1, "{:?}", found.faults);
    assert!(
        found.faults[0].starts_with("slow messages between client-1 and redis by 1000 ms"),
        "{:?}",
        found.faults
    );
    assert!(matches!(found.specs[0].kind, FaultKind::Delay { .. }));
}

#[test]
fn pubsub_as_a_queue_the_explorer_finds_acknowledged_jobs_that_never_reach_the_worker() {
    let (_, found) = counterexample("pubsub_acknowledged.toml", 1);
    let kind = &found.specs[0].kind;
    assert!(
        matches!(
            kind,
            FaultKind::Kill { target } if target == "worker"
        ) || matches!(
            kind,
            FaultKind::Partition { groups, .. } if groups == &[vec!["worker".to_string()]]
        ),
        "a pause loses nothing; killing or cutting off the worker does: {:?}",
        found.faults
    );
    let verdict = found
        .trace
        .verdicts
        .iter()
        .find(|v| !v.held)
        .expect("a failed verdict");
    assert_eq!(verdict.invariant, "acknowledged_messages(jobs to worker)");
    assert!(
        verdict
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("reached a subscriber, but worker never got it"),
        "{:?}",
        verdict.message
    );
}

#[test]
fn a_lost_set_reply_the_explorer_finds_the_owner_locked_out_by_its_own_lock() {
    let (scenario, found) = counterexample("lost_lock_reply.toml", 1);
    assert!(
        matches!(
            found.specs[0].kind,
            FaultKind::LoseReply { .. } | FaultKind::LoseOneWay { .. }
        ),
        "{:?}",
        found.faults
    );
    // The first SET ran and took the lock; client-1 never heard so, and
    // every retry met its own key.
    let sets: Vec<(u64, &str, &str)> = execs(&found.trace, "redis", "client-1")
        .into_iter()
        .filter(|(_, command, _)| command.starts_with("SET lock:report"))
        .collect();
    assert!(sets.len() >= 2, "{sets:?}");
    assert_eq!(sets[0].2, "OK", "{sets:?}");
    assert!(
        sets[1..].iter().all(|(_, _, reply)| *reply == "(nil)"),
        "{sets:?}"
    );
    assert!(found.trace.events.iter().any(|e| matches!(
        &e.what,
        What::Drop { to, .. } if to == "client-1"
    )));
    let liveness = found
        .trace
        .verdicts
        .iter()
        .find(|v| v.invariant.starts_with("liveness"))
        .expect("a liveness verdict");
    assert!(!liveness.held);
    // The fix: a retry that finds its own id in the key has the lock.
    let fix = fixed_program(
        &scenario,
        "client-1",
        "if reply == \"OK\" then",
        "if reply == \"OK\" or redis.pcall(\"GET\", \"lock:report\") == id then",
    );
    assert_fix_passes(&scenario, &[fix]);
}

#[test]
fn pubsub_as_a_queue_killing_the_worker_mid_stream_loses_acknowledged_jobs_too() {
    let scenario = load("pubsub_acknowledged.toml");
    let budget = lockstep_sim::budget::Budget {
        kinds: vec![lockstep_sim::fault::ExploreKind::Kill],
        ..scenario.explore.clone().unwrap()
    };
    let found = match Explorer::new(&scenario, budget, scenario.seed)
        .unwrap()
        .run(100, |_| true)
    {
        Finding::Violation(found) => found,
        Finding::NoViolation(coverage) => panic!("{}", coverage.statement()),
    };
    assert_eq!(
        found.specs[0].kind,
        FaultKind::Kill {
            target: "worker".into()
        }
    );
    // Killed with jobs unread in its socket: PUBLISH had counted it for
    // each of them.
    let killed_at = found
        .trace
        .events
        .iter()
        .find(|e| e.actor == "worker" && matches!(e.what, What::Crash))
        .expect("the worker is killed")
        .t_us;
    let delivered_before: usize = found
        .trace
        .events
        .iter()
        .filter(|e| e.actor == "worker" && e.t_us <= killed_at)
        .filter(|e| matches!(e.what, What::Message { .. }))
        .count();
    assert!(delivered_before >= 1, "{:?}", found.faults);
    assert!(found
        .trace
        .verdicts
        .iter()
        .any(|v| !v.held && v.invariant == "acknowledged_messages(jobs to worker)"));
}
