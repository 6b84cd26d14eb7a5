//! The protocol path: `lockstep serve` (this very binary) and a real
//! `redis-server` driven by the same `redis-benchmark` command lines: one
//! client, and 50 clients unpipelined and with `-P 64`. Besides
//! throughput, the server's CPU time per command, read from `/proc`.
//!
//! Before measuring, it checks what the native profile's unwinding is for:
//! a command that panics is answered with an error while the server keeps
//! serving its other connections.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::figure::{Better, Figure, Target};
use super::servers::{self, BenchmarkLine};
use super::workload::{KEYSPACE, WORKLOADS};
use super::Bench;
use crate::serve::panic_probe;

/// Runs of each side per figure; the best counts.
const ROUNDS: u32 = 2;

pub fn run(bench: &mut Bench) -> Result<(), String> {
    bench.progress("serve: a panicking command must not take the server down");
    check_panic_is_caught(bench)?;
    let lockstep = servers::lockstep_serve(&bench.exe, &[])?;
    let ours_server = (lockstep.port, lockstep.pid());
    for (clients, pipeline) in SHAPES {
        for workload in WORKLOADS {
            let line = BenchmarkLine {
                clients,
                pipeline,
                requests: match (clients, pipeline) {
                    (1, 1) => 20_000,
                    (_, 1) => 50_000,
                    _ => 300_000,
                },
                keyspace: KEYSPACE,
                command: workload.command,
            };
            let shape = format!("-c {clients} -P {pipeline}");
            // Alternating rounds, best of each side: a burst of other work
            // on a shared machine then costs a round, not the figure.
            let (mut ours, mut reference) = (Run::default(), Run::default());
            for round in 1..=ROUNDS {
                bench.progress(&format!(
                    "serve: {} {shape} on lockstep serve (round {round} of {ROUNDS})",
                    workload.name
                ));
                ours = ours.best(Run::measure(&line, ours_server)?);
                bench.progress(&format!(
                    "serve: {} {shape} on redis-server (round {round} of {ROUNDS})",
                    workload.name
                ));
                reference = reference.best(Run::measure(&line, bench.redis()?)?);
            }
            if clients > 1 {
                bench.add(Figure {
                    group: "serve",
                    name: format!("lockstep serve {shape}: {}", workload.name),
                    unit: "ops/s",
                    better: Better::Higher,
                    ours: ours.per_second,
                    reference_name: format!("redis-server, redis-benchmark {shape}"),
                    reference: reference.per_second,
                    reference_unit: None,
                    target: (pipeline == 1).then_some(Target::RatioAtLeast(0.8)),
                });
            }
            bench.add(Figure {
                group: "serve",
                name: format!(
                    "lockstep serve {shape}: {} server CPU per command",
                    workload.name
                ),
                unit: "µs",
                better: Better::Lower,
                ours: ours.cpu_us,
                reference_name: format!("redis-server, redis-benchmark {shape}"),
                reference: reference.cpu_us,
                reference_unit: None,
                target: None,
            });
        }
    }
    Ok(())
}

/// Clients and pipeline depth of the `redis-benchmark` runs: one client
/// shows what a command costs alone; fifty what it costs among many
/// (serving many must not cost more per command than serving one).
const SHAPES: [(u32, u32); 3] = [(1, 1), (50, 1), (50, 64)];

/// What one `redis-benchmark` run measured on one server.
#[derive(Clone, Copy, Default)]
struct Run {
    per_second: f64,
    /// Server CPU time per command: unlike throughput, hardly moved by
    /// other work on the machine.
    cpu_us: f64,
}

impl Run {
    fn measure(line: &BenchmarkLine, (port, pid): (u16, u32)) -> Result<Run, String> {
        let before = servers::cpu_seconds(pid);
        let per_second = line.run(port)?;
        let cpu_us = match (before, servers::cpu_seconds(pid)) {
            (Some(a), Some(b)) => (b - a) * 1e6 / line.requests as f64,
            _ => 0.0,
        };
        Ok(Run { per_second, cpu_us })
    }

    /// The better of two runs, each figure on its own.
    fn best(self, other: Run) -> Run {
        let cpu_us = match (self.cpu_us, other.cpu_us) {
            (a, b) if a > 0.0 && b > 0.0 => a.min(b),
            (a, b) => a.max(b),
        };
        Run {
            per_second: self.per_second.max(other.per_second),
            cpu_us,
        }
    }
}

/// Starts a server with the panic probe on, opens a bystander connection,
/// makes another connection's command panic, and expects an error reply
/// there and a PONG on the bystander. A build that aborts on panic fails.
fn check_panic_is_caught(bench: &mut Bench) -> Result<(), String> {
    let server = servers::lockstep_serve(&bench.exe, &[(panic_probe::ENV, "1")])?;
    let mut bystander = TcpStream::connect(("127.0.0.1", server.port))
        .map_err(|e| format!("cannot connect: {e}"))?;
    let reply = servers::call(server.port, &[panic_probe::COMMAND.as_bytes()])
        .map_err(|e| format!("{}: no reply ({e})", panic_probe::COMMAND))?;
    if !reply.starts_with(b"-ERR internal error") {
        return Err(format!(
            "{} was answered {:?}, not with an internal error",
            panic_probe::COMMAND,
            String::from_utf8_lossy(&reply)
        ));
    }
    let pong = (|| {
        bystander.set_read_timeout(Some(Duration::from_secs(5)))?;
        bystander.write_all(b"PING\r\n")?;
        let mut line = String::new();
        BufReader::new(&bystander).read_line(&mut line)?;
        Ok::<_, std::io::Error>(line)
    })();
    match pong {
        Ok(line) if line == "+PONG\r\n" => {
            bench.note("a command that panics is answered with an error; other connections stay up (checked on this build)");
            Ok(())
        }
        other => Err(format!(
            "after a command panicked, another connection's PING got {other:?}: \
             is this build's panic strategy unwind?"
        )),
    }
}
