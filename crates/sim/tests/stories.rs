//! The story scenarios (`lessons/stories/*.toml`), one fault kind each,
//! with the outcome each story is there to show.

#[path = "support/stories.rs"]
mod support;

use lockstep_sim::trace::{Trace, What};

fn run(name: &str) -> Trace {
    let scenario = support::story(name);
    lockstep_sim::run(&scenario, scenario.seed).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Whether the invariant whose description starts with `prefix` held.
fn held(trace: &Trace, prefix: &str) -> bool {
    trace
        .verdicts
        .iter()
        .find(|v| v.invariant.starts_with(prefix))
        .unwrap_or_else(|| panic!("no verdict for {prefix}: {:?}", trace.verdicts))
        .held
}

fn events<'a>(trace: &'a Trace, actor: &'a str) -> impl Iterator<Item = &'a What> + 'a {
    trace
        .events
        .iter()
        .filter(move |e| e.actor == actor)
        .map(|e| &e.what)
}

/// Position of the first event matching `wanted`; the story must have one.
fn first_index(trace: &Trace, wanted: impl Fn(&What) -> bool) -> usize {
    trace
        .events
        .iter()
        .position(|e| wanted(&e.what))
        .expect("the story has this event")
}

fn logged(trace: &Trace, actor: &str, text: &str) -> bool {
    events(trace, actor).any(|w| matches!(w, What::Log { text: t } if t.contains(text)))
}

#[test]
fn a_gc_pause_longer_than_the_ttl_lets_a_second_client_in() {
    let trace = run("gc_pause_past_ttl");
    assert!(!held(&trace, "mutual_exclusion"));
    assert!(!held(&trace, "no_stale_writes"));
    // The pause, then the expiry while client-1 is frozen, then client-2.
    let pause = first_index(&trace, |w| matches!(w, What::Pause { .. }));
    let expire = first_index(&trace, |w| matches!(w, What::Expire { .. }));
    let violation = trace.first_violation().unwrap().at_seq.unwrap() as usize;
    assert!(
        pause < expire && expire < violation,
        "{pause} {expire} {violation}"
    );
}

#[test]
fn with_a_fencing_token_the_resource_rejects_the_stale_write() {
    let trace = run("gc_pause_fenced");
    assert!(
        !held(&trace, "mutual_exclusion"),
        "both still believe they hold the lock"
    );
    assert!(held(&trace, "no_stale_writes"));
    let rejected = events(&trace, "storage")
        .filter_map(|w| match w {
            What::Write {
                from,
                accepted: false,
                detail,
                ..
            } => Some((from.clone(), detail.clone())),
            _ => None,
        })
        .collect::<Vec<_>>();
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    assert_eq!(rejected[0].0, "client-1");
    assert!(rejected[0].1.contains("is older than"), "{}", rejected[0].1);
}

#[test]
fn a_partition_leaves_the_minority_client_without_a_redlock_majority() {
    let trace = run("redlock_partition");
    assert!(held(&trace, "mutual_exclusion"));
    assert!(logged(&trace, "client-1", "no majority"));
    assert!(trace
        .events
        .iter()
        .any(|e| matches!(&e.what, What::Partition { .. })));
    assert!(events(&trace, "client-2").any(|w| matches!(w, What::Enter { .. })));
    assert!(!events(&trace, "client-1").any(|w| matches!(w, What::Enter { .. })));
}

#[test]
fn a_restart_without_persistence_forgets_the_lock() {
    let trace = run("restart_without_aof");
    assert!(!held(&trace, "mutual_exclusion"));
    assert!(events(&trace, "redis")
        .any(|w| matches!(w, What::Restart { kept } if kept.contains("nothing"))));
}

#[test]
fn a_restart_with_appendfsync_always_keeps_the_lock() {
    let trace = run("restart_with_aof");
    assert!(held(&trace, "mutual_exclusion"));
    assert!(events(&trace, "redis")
        .any(|w| matches!(w, What::Restart { kept } if kept.contains("always"))));
    // The key is back after the restart, with its TTL.
    let restart = trace
        .events
        .iter()
        .find(|e| matches!(e.what, What::Restart { .. }))
        .unwrap();
    let state = trace.state_at(restart.seq).unwrap();
    assert!(
        state.nodes["redis"].keys.iter().any(|k| k.ttl_ms.is_some()),
        "{state:?}"
    );
}

#[test]
fn a_failover_loses_an_unreplicated_lock() {
    let trace = run("failover_loses_lock");
    assert!(!held(&trace, "mutual_exclusion"));
    let promote = trace
        .events
        .iter()
        .find(|e| matches!(&e.what, What::Promote { reason } if reason.contains("sentinel")))
        .expect("the sentinel promotes the replica");
    let state = trace.state_at(promote.seq).unwrap();
    assert_eq!(state.nodes["r"].role, "primary");
    assert!(
        state.nodes["r"].keys.is_empty(),
        "the lock never reached the replica: {state:?}"
    );
}

#[test]
fn a_clock_jump_on_the_node_expires_the_lock_early() {
    let trace = run("clock_jump");
    assert!(!held(&trace, "mutual_exclusion"));
    let jump = first_index(&trace, |w| matches!(w, What::ClockJump { .. }));
    let expire = first_index(&trace, |w| matches!(w, What::Expire { .. }));
    assert!(jump < expire);
    assert_eq!(
        trace.events[jump].t_us, trace.events[expire].t_us,
        "it expires at the jump"
    );
}

#[test]
fn a_long_script_blocks_the_node_others_get_busy_and_script_kill_stops_it() {
    let trace = run("busy_script");
    let busy: Vec<&str> = events(&trace, "redis")
        .filter_map(|w| match w {
            What::Busy { reply, .. } => Some(reply.as_str()),
            _ => None,
        })
        .collect();
    assert!(!busy.is_empty());
    assert!(
        busy.iter()
            .all(|r| r.contains("BUSY Redis is busy running a script")),
        "{busy:?}"
    );
    // Nobody gets BUSY before the 5 s threshold.
    let first_busy = trace
        .events
        .iter()
        .find(|e| matches!(e.what, What::Busy { .. }))
        .unwrap();
    let start = trace
        .events
        .iter()
        .find(|e| matches!(e.what, What::ScriptStart { .. }))
        .unwrap();
    assert!(first_busy.t_us > start.t_us + 5_000_000);
    assert!(events(&trace, "redis").any(|w| matches!(w,
        What::Exec { reply, .. } if reply.contains("Script killed by user with SCRIPT KILL"))));
}

#[test]
fn a_fixed_window_limiter_lets_a_burst_through_across_the_boundary() {
    let trace = run("fixed_window_boundary");
    assert!(!held(&trace, "rate"));
}

#[test]
fn a_non_atomic_transfer_breaks_the_sum_and_a_script_keeps_it() {
    assert!(!held(&run("bank_transfer"), "sum_conserved"));
    let atomic = run("bank_transfer_atomic");
    assert!(held(&atomic, "sum_conserved"));
    assert!(held(&atomic, "liveness"));
}

#[test]
fn a_kill_between_setnx_and_expire_leaves_the_lock_forever() {
    let trace = run("setnx_expire_crash");
    assert!(!held(&trace, "liveness"));
    // client-1 died after SETNX, before its EXPIRE left.
    let sent: Vec<&str> = events(&trace, "client-1")
        .filter_map(|w| match w {
            What::Send { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].starts_with("SETNX"));
    let last = trace.state_at(trace.events.len() as u64 - 1).unwrap();
    assert!(
        last.nodes["redis"].keys.iter().any(|k| k.ttl_ms.is_none()),
        "{last:?}"
    );
}

#[test]
fn every_story_renders_every_step_from_its_trace() {
    for name in support::names() {
        let trace = run(name);
        assert!(!trace.events.is_empty(), "{name}");
        let text = lockstep_sim::timeline::render(&trace);
        assert!(
            text.contains("Invariants:") || text.contains("No invariants"),
            "{name}"
        );
        for seq in 0..trace.events.len() as u64 {
            let step = lockstep_sim::timeline::render_step(&trace, seq).unwrap();
            assert!(step.starts_with(&format!("Step #{seq} ")), "{name} {seq}");
        }
        let json = trace.to_json();
        let back: Trace = serde_json::from_str(&json).unwrap();
        assert_eq!(back, trace, "{name}: the JSON reads back as the same trace");
    }
}

#[test]
fn each_step_s_snapshot_is_the_world_right_after_it() {
    let trace = run("gc_pause_past_ttl");
    assert!(
        trace.events[0].state.is_some(),
        "the first event has a snapshot"
    );
    let enter = trace
        .events
        .iter()
        .find(|e| e.actor == "client-2" && matches!(e.what, What::Enter { .. }))
        .unwrap();
    let holders = &trace.state_at(enter.seq).unwrap().holders["report"];
    assert_eq!(
        holders,
        &["client-1", "client-2"],
        "at client-2's own enter"
    );
    let write = trace
        .events
        .iter()
        .rfind(|e| matches!(&e.what, What::Write { from, .. } if from == "client-1"))
        .unwrap();
    assert_eq!(
        trace.state_at(write.seq).unwrap().resources["storage"].accepted,
        2
    );
    assert_eq!(
        trace.state_at(write.seq - 1).unwrap().resources["storage"].accepted,
        1
    );
    let crash_story = run("restart_without_aof");
    let crash = crash_story
        .events
        .iter()
        .find(|e| matches!(e.what, What::Crash))
        .unwrap();
    assert!(!crash_story.state_at(crash.seq).unwrap().nodes["redis"].up);
    assert!(crash_story.state_at(crash.seq - 1).unwrap().nodes["redis"].up);
}
