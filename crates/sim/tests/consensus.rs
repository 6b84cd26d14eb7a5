//! The consensus service (`[[consensus]]`): majority commit, elections after
//! the election timeout, leases on the service's clock, a revision that only
//! grows — and what a lesson teaches with it: the explorer finds no fault
//! among restarts, partitions and clock jumps that breaks a lock on it (it
//! does for Redlock), while a paused holder still needs the storage's
//! fencing check, with the revision as the token.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lockstep_sim::explore::{Explorer, Finding};
use lockstep_sim::trace::{Trace, What};
use lockstep_sim::Scenario;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `lessons/lib/*.lua` by file stem.
fn libraries() -> BTreeMap<String, String> {
    let mut libraries = BTreeMap::new();
    for entry in std::fs::read_dir(workspace().join("lessons/lib")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "lua") {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            libraries.insert(stem, std::fs::read_to_string(&path).unwrap());
        }
    }
    libraries
}

fn parse(toml: &str) -> Scenario {
    Scenario::parse_with_libraries(toml, &libraries()).unwrap_or_else(|e| panic!("{e}\n{toml}"))
}

fn run(toml: &str) -> Trace {
    let scenario = parse(toml);
    lockstep_sim::run(&scenario, scenario.seed).unwrap()
}

fn logs(trace: &Trace, actor: &str) -> Vec<(u64, String)> {
    trace
        .events
        .iter()
        .filter(|e| e.actor == actor)
        .filter_map(|e| match &e.what {
            What::Log { text } => Some((e.t_us, text.clone())),
            _ => None,
        })
        .collect()
}

fn first(trace: &Trace, actor: &str, pick: impl Fn(&What) -> bool) -> Option<u64> {
    trace
        .events
        .iter()
        .find(|e| e.actor == actor && pick(&e.what))
        .map(|e| e.t_us)
}

fn failed(trace: &Trace) -> Vec<String> {
    trace
        .verdicts
        .iter()
        .filter(|v| !v.held)
        .map(|v| format!("{}: {}", v.invariant, v.message.as_deref().unwrap_or("")))
        .collect()
}

const SERVICE: &str = r#"
title = "consensus"
seed = 1
duration_ms = 20000
[[node]]
name = "redis"
[[consensus]]
name = "etcd"
members = 3
election_timeout_ms = 1000
"#;

#[test]
fn a_leader_crash_elects_a_new_leader_after_the_timeout_and_keeps_committed_writes() {
    let trace = run(&format!(
        r#"{SERVICE}
[[client]]
name = "client-1"
timeout_ms = 200
program = '''
local cs = consensus("etcd")
local ok, rev = cs.put_if_absent("k", "v")
log("put", tostring(ok), rev)
sleep(600)
local value, why = cs.get("k")
log("during the election", tostring(value), tostring(why))
sleep(1500)
local value, rev = cs.get("k")
log("after", value, rev)
sleep(2000)
local value, rev = cs.get("k")
log("after the restart", value, rev)
'''
[[fault]]
kind = "crash"
target = "etcd-1"
at_ms = 500
restart_after_ms = 2000
"#
    ));
    let lines = logs(&trace, "client-1");
    let texts: Vec<&str> = lines.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts[0], "put true 1", "{texts:?}");
    assert!(
        texts[1].starts_with("during the election nil TIMEOUT"),
        "{texts:?}"
    );
    assert_eq!(
        texts[2], "after v 1",
        "a committed write outlives its leader"
    );
    assert_eq!(texts[3], "after the restart v 1");
    let crashed = first(&trace, "etcd-1", |w| matches!(w, What::Crash)).unwrap();
    let elected = trace
        .events
        .iter()
        .find(|e| matches!(e.what, What::Elected { .. }))
        .expect("a new leader");
    assert_ne!(elected.actor, "etcd-1", "the crashed member cannot win");
    assert_eq!(elected.what, What::Elected { term: 2 });
    assert_eq!(
        elected.t_us - crashed,
        1_000_000,
        "elected one election timeout after the crash"
    );
    // The world shows the service as committed: the new leader, the key
    // with the revision that wrote it, the member that is down.
    let world = &trace.state_at(elected.seq).unwrap().consensus["etcd"];
    assert_eq!(world.leader.as_deref(), Some(elected.actor.as_str()));
    assert_eq!(world.term, 2);
    assert_eq!(world.revision, 1);
    assert_eq!(
        (world.keys[0].key.as_str(), world.keys[0].value.as_str()),
        ("k", "v")
    );
    assert_eq!(world.down, ["etcd-1"]);
    let restart = trace
        .events
        .iter()
        .find(|e| e.actor == "etcd-1" && matches!(e.what, What::Restart { .. }))
        .unwrap();
    let after = &trace.state_at(restart.seq).unwrap().consensus["etcd"];
    assert!(after.down.is_empty());
    assert!(
        restart.what.text().contains("revision 1"),
        "{:?}",
        restart.what
    );
}

#[test]
fn a_minority_side_of_a_partition_cannot_commit() {
    let trace = run(&format!(
        r#"{SERVICE}
[[client]]
name = "client-1"
timeout_ms = 500
program = '''
local cs = consensus("etcd")
sleep(100)
local ok, why = cs.put_if_absent("k", "from the minority")
log("minority", tostring(ok), tostring(why))
'''
[[client]]
name = "client-2"
timeout_ms = 500
program = '''
local cs = consensus("etcd")
sleep(2000)
local ok, rev = cs.put_if_absent("k", "from the majority")
log("majority", tostring(ok), tostring(rev))
local value = cs.get("k")
log("value", value)
'''
[[fault]]
kind = "partition"
at_ms = 50
groups = [["etcd-1", "client-1"], ["etcd-2", "etcd-3", "client-2"]]
"#
    ));
    let minority = logs(&trace, "client-1");
    assert!(
        minority[0].1.starts_with("minority nil TIMEOUT"),
        "{minority:?}"
    );
    // The leader on the minority side took the request but never had a
    // majority: nothing was committed for client-1.
    let committed_for_1 = trace
        .events
        .iter()
        .any(|e| matches!(&e.what, What::Commit { from, .. } if from == "client-1"));
    assert!(!committed_for_1);
    let elected = trace
        .events
        .iter()
        .find(|e| matches!(e.what, What::Elected { .. }))
        .unwrap();
    assert!(elected.actor == "etcd-2" || elected.actor == "etcd-3");
    let majority: Vec<String> = logs(&trace, "client-2").into_iter().map(|l| l.1).collect();
    assert_eq!(majority, ["majority true 1", "value from the majority"]);
}

#[test]
fn a_lease_expires_on_the_services_clock_when_heartbeats_stop() {
    let program = |client_jump: &str| {
        format!(
            r#"{SERVICE}
[[client]]
name = "client-1"
program = '''
local cs = consensus("etcd")
local lease = cs.grant(2000)
local ok, token = cs.put_if_absent("lock", "client-1", lease)
log("taken", tostring(ok), token)
sleep(1500)
log("keepalive", tostring(cs.keepalive(lease)))
-- no more heartbeats
'''
[[client]]
name = "client-2"
start_ms = 100
program = '''
local cs = consensus("etcd")
while true do
  local ok, holder, rev = cs.put_if_absent("lock", "client-2")
  if ok then log("taken", holder) return end
  sleep(100)
end
'''
{client_jump}
"#
        )
    };
    let trace = run(&program(""));
    let kept = first(
        &trace,
        "etcd-1",
        |w| matches!(w, What::Commit { request, .. } if request.starts_with("KEEPALIVE")),
    )
    .unwrap();
    let expired = first(&trace, "etcd-1", |w| matches!(w, What::LeaseExpire { .. })).unwrap();
    // The expiry entry is proposed when the countdown ends and committed
    // one round trip to a follower later.
    assert!(
        expired >= kept + 2_000_000 && expired < kept + 2_100_000,
        "kept alive at {kept} µs, expired at {expired} µs"
    );
    let taken: Vec<String> = logs(&trace, "client-2").into_iter().map(|l| l.1).collect();
    assert_eq!(taken, ["taken 3"], "revision 1 put, 2 expiry, 3 put");
    let taken_at = logs(&trace, "client-2")[0].0;
    assert!(taken_at > expired);

    // Clock jumps, of the holder or of every member, change nothing: the
    // service times leases on its own monotonic clock.
    let jumps = r#"
[[fault]]
kind = "clock_jump"
target = "client-1"
at_ms = 200
by_ms = 60000
[[fault]]
kind = "clock_jump"
target = "etcd-1"
at_ms = 300
by_ms = 60000
[[fault]]
kind = "clock_jump"
target = "etcd-2"
at_ms = 300
by_ms = 60000
"#;
    let jumped = run(&program(jumps));
    let expired_after_jumps =
        first(&jumped, "etcd-1", |w| matches!(w, What::LeaseExpire { .. })).unwrap();
    assert_eq!(expired_after_jumps, expired);
}

#[test]
fn bad_requests_get_clear_errors() {
    let trace = run(&format!(
        r#"{SERVICE}
[[client]]
name = "client-1"
program = '''
local value, why = consensus("zookeeper").get("k")
log(tostring(value), why)
local lease, why = consensus("etcd").keepalive(99)
log(tostring(lease), why)
local ok, why = pcall(function() return consensus("etcd").grant(-5) end)
log(tostring(ok), why)
'''
"#
    ));
    let lines: Vec<String> = logs(&trace, "client-1").into_iter().map(|l| l.1).collect();
    assert_eq!(
        lines[0],
        "nil no consensus service named \"zookeeper\" in this scenario"
    );
    assert_eq!(
        lines[1],
        "nil lease 99 not found (it expired or was revoked)"
    );
    assert!(
        lines[2].starts_with("false") && lines[2].contains("cs.grant expects a TTL in ms above 0"),
        "a Lua error the program can catch: {lines:?}"
    );

    for (bad, want) in [
        ("members = 0", "members must be between 1 and 9"),
        (
            "election_timeout_ms = 0",
            "election_timeout_ms must be above 0",
        ),
    ] {
        let toml = format!(
            "title = \"t\"\n[[node]]\nname = \"r\"\n[[consensus]]\nname = \"etcd\"\n{bad}\n"
        );
        let error = Scenario::parse(&toml).unwrap_err().to_string();
        assert!(error.contains(want), "{error}");
    }
}

#[test]
fn the_explorer_aims_crashes_cuts_and_clock_jumps_at_the_members() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/explore/lease_lock.toml");
    let scenario = parse(&std::fs::read_to_string(path).unwrap());
    let budget = scenario.explore.clone().unwrap();
    let faults: Vec<String> = lockstep_sim::explore::schedule::templates(&scenario, &budget)
        .iter()
        .map(|t| t.fault.describe())
        .collect();
    for member in ["etcd-1", "etcd-2", "etcd-3"] {
        for want in [
            format!("crash {member} and restart it 1000 ms later"),
            format!("cut {member} off the network for 2000 ms"),
            format!("jump {member}'s clock by +60000 ms"),
        ] {
            assert!(faults.contains(&want), "{want} not in {faults:?}");
        }
    }
    // A member is a valid target in a scenario's own faults, a promotion
    // (Redis replicas only) is not.
    let with = |fault: &str| Scenario::parse(&format!("{SERVICE}\n[[fault]]\n{fault}\n"));
    assert!(with("kind = \"crash\"\ntarget = \"etcd-2\"\nat_ms = 1").is_ok());
    let refused = with("kind = \"promote\"\ntarget = \"etcd-2\"\nat_ms = 1").unwrap_err();
    assert!(
        refused.to_string().contains("is not a Redis node"),
        "{refused}"
    );
}

fn explore_file(file: &str, kinds: &str) -> Finding {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/explore")
        .join(file);
    let text = std::fs::read_to_string(path).unwrap();
    let scenario = parse(&text);
    let mut budget = scenario.explore.clone().unwrap();
    budget.apply_overrides(&format!("kinds={kinds}")).unwrap();
    Explorer::new(&scenario, budget, scenario.seed)
        .unwrap()
        .run(100, |_| true)
}

#[test]
fn a_lock_on_the_service_survives_the_faults_that_break_redlock() {
    let kinds = "restart+partition+clock_jump";
    // Redlock over nodes that forget on restart: the explorer breaks it
    // with one of these faults.
    match explore_file("redlock_restart.toml", kinds) {
        Finding::Violation(found) => {
            assert_eq!(
                found.trace.first_violation().unwrap().invariant,
                "mutual_exclusion(job)"
            )
        }
        Finding::NoViolation(coverage) => panic!("Redlock held: {}", coverage.statement()),
    }
    // The same job on the consensus service: every member restart, cut and
    // clock jump the budget allows, at every moment that matters, and no
    // violation.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/explore/lease_lock.toml");
    let scenario = parse(&std::fs::read_to_string(path).unwrap());
    let baseline = lockstep_sim::run(&scenario, scenario.seed).unwrap();
    assert!(failed(&baseline).is_empty(), "{:?}", failed(&baseline));
    match explore_file("lease_lock.toml", kinds) {
        Finding::NoViolation(coverage) => {
            assert!(!coverage.cancelled);
            assert_eq!(coverage.systematic_tried, coverage.systematic_total);
            assert!(coverage.systematic_total > 100, "{coverage:?}");
            println!("{}", coverage.statement());
        }
        Finding::Violation(found) => panic!(
            "the consensus lock broke: {:?} {:?}",
            found.faults,
            failed(&found.trace)
        ),
    }
    // What it does not survive: the holder itself stopping past its lease.
    match explore_file("lease_lock.toml", "pause") {
        Finding::Violation(found) => assert!(
            matches!(
                &found.specs[0].kind,
                lockstep_sim::scenario::FaultKind::Pause { target, duration_ms }
                    if target == "client-1" && *duration_ms > 30000.0
            ),
            "{:?}",
            found.faults
        ),
        Finding::NoViolation(coverage) => {
            panic!(
                "a pause past the lease should break it: {}",
                coverage.statement()
            )
        }
    }
}

#[test]
fn a_paused_holder_still_needs_the_storages_fencing_check() {
    let story =
        std::fs::read_to_string(workspace().join("lessons/stories/consensus_lock_gc_pause.toml"))
            .unwrap();
    let fenced = run(&story);
    assert_eq!(
        failed(&fenced),
        [format!(
            "mutual_exclusion(report): {}",
            "client-2 entered \"report\" while client-1 was still inside"
        )]
    );
    let tokens: Vec<Option<i64>> = fenced
        .events
        .iter()
        .filter_map(|e| match &e.what {
            What::Write { token, .. } => Some(*token),
            _ => None,
        })
        .collect();
    assert_eq!(tokens.len(), 2);
    assert!(
        tokens[0] > tokens[1],
        "client-2's revision is higher: {tokens:?}"
    );
    let rejected = fenced.events.iter().any(
        |e| matches!(&e.what, What::Write { from, accepted: false, .. } if from == "client-1"),
    );
    assert!(rejected, "client-1's stale write was not turned away");

    let unfenced = run(&story.replace("fencing = true", "fencing = false"));
    let broken = failed(&unfenced);
    assert!(
        broken
            .iter()
            .any(|v| v.starts_with("no_stale_writes(storage)")),
        "{broken:?}"
    );
}
