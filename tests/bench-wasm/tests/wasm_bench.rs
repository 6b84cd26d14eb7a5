//! Figures on wasm32 for `lockstep bench --only wasm`, printed one per line
//! as `lockstep-bench NAME VALUE` for the bench to read. Ignored, so wasm
//! test runs skip them; the bench runs them with an optimised build:
//!
//! ```text
//! CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
//!   cargo test --release --target wasm32-unknown-unknown -p lockstep-bench-wasm \
//!   -- --include-ignored --nocapture            # Node
//! # headless Chromium: also WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver
//! ```
#![cfg(target_arch = "wasm32")]

use lockstep_engine::Engine;
use lockstep_sim::explore::Explorer;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{console_log, wasm_bindgen_test};

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: milliseconds, finer than `Date.now()`, in Node
    /// and in browsers alike.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn now_ms() -> f64;
}

/// The same files the native bench and `lua5.1` run.
const SCRIPTS: &[(&str, &str)] = &[
    (
        "numeric_loop",
        include_str!("../../bench/lua/numeric_loop.lua"),
    ),
    (
        "string_building",
        include_str!("../../bench/lua/string_building.lua"),
    ),
    ("table_work", include_str!("../../bench/lua/table_work.lua")),
    ("many_calls", include_str!("../../bench/lua/many_calls.lua")),
];

fn report(name: &str, value: f64) {
    console_log!("lockstep-bench {name} {value}");
}

fn eval_ms(script: &str) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..3 {
        let mut engine = Engine::new(0);
        let client = engine.connect("127.0.0.1:1", 0);
        let args = vec![b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()];
        let started = now_ms();
        let outcome = engine.execute(client, &args, 0);
        best = best.min(now_ms() - started);
        assert!(!outcome.reply.is_error(), "{:?}", outcome.reply);
    }
    best
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: lockstep bench --only wasm runs it"]
fn lua_scripts() {
    for (name, script) in SCRIPTS {
        report(&format!("lua:{name}:ms"), eval_ms(script));
    }
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: lockstep bench --only wasm runs it"]
fn sorted_set_of_a_million() {
    const MEMBERS: u64 = 1_000_000;
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:1", 0);
    // The same scores and members as the native zset group.
    let commands: Vec<Vec<Vec<u8>>> = (0..MEMBERS)
        .map(|i| {
            vec![
                b"ZADD".to_vec(),
                b"bigboard".to_vec(),
                (i.wrapping_mul(2_654_435_761) % 10_000_000)
                    .to_string()
                    .into_bytes(),
                format!("player:{i}").into_bytes(),
            ]
        })
        .collect();
    let started = now_ms();
    for command in &commands {
        engine.execute(client, command, 0);
    }
    report("zset:insert:s", (now_ms() - started) / 1000.0);
    drop(commands);
    let mut seed = 0x2au64;
    let mut below = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut latencies = |kind: &str, make: &mut dyn FnMut() -> Vec<Vec<u8>>| {
        let mut micros: Vec<f64> = (0..100_000)
            .map(|_| {
                let command = make();
                let started = now_ms();
                engine.execute(client, &command, 0);
                (now_ms() - started) * 1000.0
            })
            .collect();
        micros.sort_by(f64::total_cmp);
        report(&format!("zset:{kind}:p50:us"), micros[micros.len() / 2]);
        report(
            &format!("zset:{kind}:p99:us"),
            micros[micros.len() * 99 / 100],
        );
    };
    latencies("zrevrank", &mut || {
        let member = format!("player:{}", below(MEMBERS));
        vec![
            b"ZREVRANK".to_vec(),
            b"bigboard".to_vec(),
            member.into_bytes(),
        ]
    });
    latencies("zrevrange", &mut || {
        let start = below(MEMBERS - 10);
        vec![
            b"ZREVRANGE".to_vec(),
            b"bigboard".to_vec(),
            start.to_string().into_bytes(),
            (start + 9).to_string().into_bytes(),
        ]
    });
}

/// The leaderboard scenario of the native zset group, on 1M members:
/// building its world (populating the board), then each event timed.
#[wasm_bindgen_test]
#[ignore = "a benchmark: lockstep bench --only wasm runs it"]
fn leaderboard_of_a_million() {
    let text = include_str!("../../bench/scale/leaderboard.toml").replace("MEMBERS", "1000000");
    let scenario = std::rc::Rc::new(lockstep_sim::Scenario::parse(&text).expect("parses"));
    let started = now_ms();
    let mut world = lockstep_sim::World::new(
        std::rc::Rc::clone(&scenario),
        scenario.faults.clone(),
        lockstep_sim::RunOptions::new(scenario.seed),
    )
    .expect("builds");
    report("scale:ready:s", (now_ms() - started) / 1000.0);
    let mut slowest: f64 = 0.0;
    let mut events = 0u32;
    let run_started = now_ms();
    loop {
        let started = now_ms();
        let more = world.step();
        slowest = slowest.max(now_ms() - started);
        events += 1;
        if !more {
            break;
        }
    }
    report("scale:step_max:ms", slowest);
    report(
        "scale:step_mean:ms",
        (now_ms() - run_started) / f64::from(events),
    );
}

fn story(name: &str) -> lockstep_sim::Scenario {
    lockstep_lessons::stories()
        .into_iter()
        .find(|(stem, _)| *stem == name)
        .and_then(|(_, parsed)| parsed.ok())
        .unwrap_or_else(|| panic!("no story {name}"))
}

#[wasm_bindgen_test]
#[ignore = "a benchmark: lockstep bench --only wasm runs it"]
fn simulator() {
    const BUDGET_MS: f64 = 3000.0;
    let lock_story = story("gc_pause_past_ttl");
    let events = lockstep_sim::run(&lock_story, lock_story.seed)
        .expect("runs")
        .events
        .len();
    let started = now_ms();
    let mut runs = 0u64;
    while now_ms() - started < BUDGET_MS || runs < 3 {
        std::hint::black_box(lockstep_sim::run(&lock_story, lock_story.seed).expect("runs"));
        runs += 1;
    }
    report(
        "sim:events_per_s",
        (runs * events as u64) as f64 / ((now_ms() - started) / 1000.0),
    );
    let mut fenced = story("gc_pause_fenced");
    fenced.faults.clear();
    let mut budget = fenced.explore.clone().unwrap_or_default();
    budget.schedules = u64::MAX;
    let started = now_ms();
    let mut explorer = Explorer::new(&fenced, budget, fenced.seed).expect("explorer");
    let mut tried = 0;
    while now_ms() - started < BUDGET_MS && explorer.finding().is_none() {
        tried = explorer.step(10).tried;
    }
    report(
        "sim:schedules_per_s",
        tried as f64 / ((now_ms() - started) / 1000.0),
    );
}
