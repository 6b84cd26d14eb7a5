//! The engine in process: each workload's commands straight into
//! `Engine::execute`, against a real `redis-server` on loopback driven by
//! `redis-benchmark -P 64` with the same command lines.

use std::time::Instant;

use lockstep_engine::Engine;

use super::figure::{Better, Figure, Target};
use super::servers::BenchmarkLine;
use super::workload::{expand, Rng, KEYSPACE, WORKLOADS};
use super::Bench;

/// Commands each side runs per workload.
const REQUESTS: u64 = 300_000;

/// Runs of each side per figure; the best counts.
const ROUNDS: u32 = 2;

pub fn run(bench: &mut Bench) -> Result<(), String> {
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:1", 0);
    let mut rng = Rng(0x5eed);
    for workload in WORKLOADS {
        let commands: Vec<Vec<Vec<u8>>> = (0..REQUESTS)
            .map(|_| expand(workload.command, &mut rng))
            .collect();
        let line = BenchmarkLine {
            clients: 50,
            pipeline: 64,
            requests: REQUESTS,
            keyspace: KEYSPACE,
            command: workload.command,
        };
        // Alternating rounds, best of each side, as in the protocol group.
        let (mut ours, mut reference) = (0f64, 0f64);
        for round in 1..=ROUNDS {
            bench.progress(&format!(
                "engine: {} in process (round {round} of {ROUNDS})",
                workload.name
            ));
            let started = Instant::now();
            for command in &commands {
                let outcome = engine.execute(client, command, 0);
                if outcome.reply.is_error() {
                    return Err(format!("{}: {:?}", workload.name, outcome.reply));
                }
            }
            ours = ours.max(REQUESTS as f64 / started.elapsed().as_secs_f64());
            bench.progress(&format!(
                "engine: {} on redis-server -P 64 (round {round} of {ROUNDS})",
                workload.name
            ));
            reference = reference.max(line.run(bench.redis_port()?)?);
        }
        bench.add(Figure {
            group: "engine",
            name: format!("engine in process: {}", workload.name),
            unit: "ops/s",
            better: Better::Higher,
            ours,
            reference_name: "redis-server, redis-benchmark -c 50 -P 64".into(),
            reference,
            reference_unit: None,
            target: Some(Target::RatioAtLeast(1.0)),
        });
    }
    Ok(())
}
