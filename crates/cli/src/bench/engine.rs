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
const REQUESTS: u64 = 400_000;

pub fn run(bench: &mut Bench) -> Result<(), String> {
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:1", 0);
    let mut rng = Rng(0x5eed);
    for workload in WORKLOADS {
        bench.progress(&format!("engine: {} in process", workload.name));
        let commands: Vec<Vec<Vec<u8>>> = (0..REQUESTS)
            .map(|_| expand(workload.command, &mut rng))
            .collect();
        let started = Instant::now();
        for command in &commands {
            let outcome = engine.execute(client, command, 0);
            if outcome.reply.is_error() {
                return Err(format!("{}: {:?}", workload.name, outcome.reply));
            }
        }
        let ours = REQUESTS as f64 / started.elapsed().as_secs_f64();
        drop(commands);

        bench.progress(&format!("engine: {} on redis-server -P 64", workload.name));
        let port = bench.redis_port()?;
        let line = BenchmarkLine {
            clients: 50,
            pipeline: 64,
            requests: REQUESTS,
            keyspace: KEYSPACE,
            command: workload.command,
        };
        let reference = line.run(port)?;
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
