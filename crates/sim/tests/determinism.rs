//! Runs natively and, under Node, on wasm32: same scenario and seed, same
//! trace, byte for byte, on both.
//!
//! Each case's trace JSON is digested (SHA-1) and compared with
//! `tests/golden/traces.txt`, one line per case: `name seed events sha1`.
//! Both targets compare with the same committed file, so a trace that
//! differs between native and wasm fails one of them.
//!
//! When a change to the simulator, a story file or a Lua library changes
//! traces on purpose, rewrite the file natively and commit it:
//!
//! ```text
//! LOCKSTEP_BLESS=1 cargo test -p lockstep-sim --test determinism
//! ```
//!
//! then check that wasm agrees (the command is in test.sh's wasm step):
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --target wasm32-unknown-unknown -p lockstep-sim --test determinism
//! ```

#[path = "support/stories.rs"]
mod stories;

use lockstep_sim::scenario::Latency;
use lockstep_sim::Scenario;

/// Story scenarios chosen to cover different parts of the world, with the
/// seeds each one runs with.
const STORIES: &[(&str, &str)] = &[
    // A client pause triggered by entering a critical section; expiry.
    ("gc_pause_past_ttl", "pause, TTL expiry, a resource"),
    // Five nodes, Redlock, a partition from the start, random sleeps.
    ("redlock_partition", "partition, redlock, random()"),
    // A crash, asynchronous replication, the sentinel's promotion.
    ("failover_loses_lock", "crash, replication lag, failover"),
    // A script whose cost blocks the node: BUSY and SCRIPT KILL.
    ("busy_script", "busy script, SCRIPT KILL"),
    // A node clock stepping forward.
    ("clock_jump", "clock jump"),
    // Pub/sub delivery; a subscriber killed and restarted misses messages.
    (
        "pubsub_subscriber_killed",
        "pub/sub, kill and restart a client",
    ),
    // BLPOP workers woken by pushes, in order, and timing out.
    ("blocking_queue_workers", "blocking commands, a kill"),
    // A crash mid-WAIT; the failover resets the clients' connections.
    (
        "failover_wait_cannot_vouch",
        "crash, failover resets connections, WAIT",
    ),
    // The sentinel sends SCRIPT KILL to a primary answering BUSY.
    ("sentinel_kills_busy_script", "sentinel, BUSY, SCRIPT KILL"),
    // SHUTDOWN NOSAVE closes every connection: callers hear at once.
    (
        "shutdown_closes_connections",
        "SHUTDOWN, closed connections",
    ),
    // A deploy of one client and an operator's SCRIPT FLUSH mid-run.
    (
        "rolling_deploy_script_flush",
        "deploy, operator command, NOSCRIPT",
    ),
    // A consensus service: majority commit, leases expiring on the
    // leader's clock while a client is paused, revisions as tokens.
    ("consensus_lock_gc_pause", "consensus service, lease expiry"),
];

const SEEDS: &[u64] = &[1, 2, 3];

/// The same story with latency drawn per message and some loss, so the
/// seeded RNG decides the network's behaviour (and floats from the RNG
/// must agree across targets).
const JITTER: (&str, &str) = ("redlock_partition", "redlock_partition+jitter");

fn jittered(mut scenario: Scenario) -> Scenario {
    scenario.network.latency_ms = Latency::Range([0.5, 5.0]);
    scenario.network.loss = 0.05;
    scenario
}

const BLESS_HINT: &str = "traces changed: if intended, rerun natively with LOCKSTEP_BLESS=1 \
     (LOCKSTEP_BLESS=1 cargo test -p lockstep-sim --test determinism) and commit \
     crates/sim/tests/golden/traces.txt; native and wasm must then both match it";

/// One case's golden line: `name seed events sha1`.
fn digest_line(name: &str, seed: u64, scenario: &Scenario) -> (String, String) {
    let trace = lockstep_sim::run(scenario, seed)
        .unwrap_or_else(|e| panic!("{name} seed {seed} did not build: {e}"));
    let json = trace.to_json();
    let sha = sha1_smol::Sha1::from(json.as_bytes()).digest().to_string();
    (format!("{name} {seed} {} {sha}", trace.events.len()), json)
}

/// Scenarios of the simulator's own tests (`tests/scenarios/`), embedded
/// so that wasm32 reads them too: the database's queue, the metric
/// verdicts, staleness and the settling before end-of-run checks.
const SCENARIO_FILES: &[(&str, &str)] = &[
    (
        "stampede_no_lock",
        include_str!("scenarios/stampede_no_lock.toml"),
    ),
    (
        "stampede_rebuild_lock",
        include_str!("scenarios/stampede_rebuild_lock.toml"),
    ),
    ("cache_race", include_str!("scenarios/cache_race.toml")),
    (
        "rate_limiter_traffic",
        include_str!("scenarios/rate_limiter_traffic.toml"),
    ),
    // The explorer's scenarios for pub/sub loss and a lost lock reply,
    // with no faults: the acknowledged_messages check, a client timeout.
    (
        "pubsub_acknowledged",
        include_str!("explore/pubsub_acknowledged.toml"),
    ),
    (
        "lost_lock_reply",
        include_str!("explore/lost_lock_reply.toml"),
    ),
];

/// Every case, in the golden file's order.
fn cases() -> Vec<(String, Scenario)> {
    let mut cases: Vec<(String, Scenario)> = STORIES
        .iter()
        .map(|(name, _)| (name.to_string(), stories::story(name)))
        .collect();
    cases.push((JITTER.1.to_string(), jittered(stories::story(JITTER.0))));
    for (name, text) in SCENARIO_FILES {
        let scenario = Scenario::parse_with_libraries(text, &stories::libraries())
            .unwrap_or_else(|e| panic!("tests/scenarios/{name}.toml: {e}"));
        cases.push((name.to_string(), scenario));
    }
    // Poisson arrivals: gaps drawn from the seeded generator through the
    // simulator's own logarithm, which must agree across targets.
    if let Some((_, limiter)) = cases.iter().find(|(n, _)| n == "rate_limiter_traffic") {
        let mut poisson = limiter.clone();
        for traffic in &mut poisson.traffic {
            traffic.pattern = lockstep_sim::scenario::Pattern::Poisson;
        }
        cases.push(("rate_limiter_traffic+poisson".to_string(), poisson));
    }
    cases
}

#[cfg(not(target_arch = "wasm32"))]
const HEADER: &str = "\
# name seed events sha1-of-trace-json, written by tests/determinism.rs.
# Regenerate natively with LOCKSTEP_BLESS=1 cargo test -p lockstep-sim --test determinism
";

/// The lines that matter: no comments, no blank lines.
fn entries(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Compares computed lines with the golden ones and says what differs.
fn compare(golden: &str, actual: &[String]) -> Result<(), String> {
    let want = entries(golden);
    if want == actual.iter().map(String::as_str).collect::<Vec<_>>() {
        return Ok(());
    }
    let key = |line: &str| line.split(' ').take(2).collect::<Vec<_>>().join(" ");
    let mut report = String::new();
    for line in actual {
        match want.iter().find(|w| key(w) == key(line)) {
            Some(w) if w == line => {}
            Some(w) => report.push_str(&format!("  golden {w}\n  now    {line}\n")),
            None => report.push_str(&format!("  new    {line}\n")),
        }
    }
    for w in &want {
        if !actual.iter().any(|line| key(line) == key(w)) {
            report.push_str(&format!("  gone   {w}\n"));
        }
    }
    if report.is_empty() {
        report.push_str("  (same lines in a different order)\n");
    }
    Err(format!("{BLESS_HINT}\n{report}"))
}

#[cfg(not(target_arch = "wasm32"))]
fn check_golden(actual: &[String]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/traces.txt");
    if std::env::var("LOCKSTEP_BLESS").as_deref() == Ok("1") {
        let mut text = HEADER.to_string();
        for line in actual {
            text.push_str(line);
            text.push('\n');
        }
        std::fs::create_dir_all(path.parent().expect("tests/golden"))
            .and_then(|()| std::fs::write(&path, text))
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        eprintln!("LOCKSTEP_BLESS=1: wrote {}", path.display());
        return;
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    if let Err(message) = compare(&golden, actual) {
        panic!("{message}");
    }
}

#[cfg(target_arch = "wasm32")]
fn check_golden(actual: &[String]) {
    if let Err(message) = compare(include_str!("golden/traces.txt"), actual) {
        panic!("{message}");
    }
}

#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn traces_match_the_golden_digests() {
    let mut lines = Vec::new();
    for (name, scenario) in cases() {
        let mut first_json = None;
        for &seed in SEEDS {
            let (line, json) = digest_line(&name, seed, &scenario);
            lines.push(line);
            if first_json.is_none() {
                first_json = Some(json);
            }
        }
        // Twice in one process: nothing may leak from one run into the
        // next (a global RNG, a shared Lua state, a counter).
        let (_, again) = digest_line(&name, SEEDS[0], &scenario);
        assert!(
            first_json.as_deref() == Some(again.as_str()),
            "{name} seed {}: two runs in one process gave different traces",
            SEEDS[0]
        );
    }
    check_golden(&lines);
}

/// The seed must matter where the scenario draws random numbers, or the
/// golden digests above could not tell a broken RNG from a working one.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn different_seeds_give_different_traces_under_random_latency() {
    let scenario = jittered(stories::story(JITTER.0));
    let run =
        |seed| lockstep_sim::run(&scenario, seed).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    let (a, b) = (run(1), run(2));
    // The trace names its seed, so compare what happened, not the header.
    let events = |t: &lockstep_sim::Trace| serde_json::to_string(&t.events).unwrap_or_default();
    assert_ne!(events(&a), events(&b), "seeds 1 and 2 gave the same events");
    // And when: the latency drawn for each message moves the timeline.
    let times = |t: &lockstep_sim::Trace| t.events.iter().map(|e| e.t_us).collect::<Vec<_>>();
    assert_ne!(
        times(&a),
        times(&b),
        "seeds 1 and 2 gave the same event times"
    );
}

/// The explorer hands Lua states from run to run; a run on handed-down
/// states must be the same run as one on fresh states.
#[cfg_attr(not(target_arch = "wasm32"), test)]
#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
fn runs_on_reused_lua_states_match_fresh_runs() {
    use std::rc::Rc;

    use lockstep_sim::{RunOptions, Spares, World};
    for (name, scenario) in cases() {
        let scenario = Rc::new(scenario);
        let mut spares = Spares::default();
        for seed in 1..=3 {
            let world = World::with_spares(
                Rc::clone(&scenario),
                scenario.faults.clone(),
                RunOptions::new(seed),
                spares,
            )
            .unwrap();
            let (reused, kept) = world.run_keeping_spares();
            spares = kept;
            let fresh = lockstep_sim::run_with(
                Rc::clone(&scenario),
                scenario.faults.clone(),
                RunOptions::new(seed),
            )
            .unwrap();
            assert_eq!(reused.to_json(), fresh.to_json(), "{name} seed {seed}");
        }
    }
}
