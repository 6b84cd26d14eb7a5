//! The protocol path: `lockstep serve` (this very binary) and a real
//! `redis-server` driven by the same `redis-benchmark` command lines,
//! unpipelined and with `-P 64`, 50 clients each.
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

pub fn run(bench: &mut Bench) -> Result<(), String> {
    bench.progress("serve: a panicking command must not take the server down");
    check_panic_is_caught(bench)?;
    let lockstep = servers::lockstep_serve(&bench.exe, &[])?;
    for pipeline in [1, 64] {
        for workload in WORKLOADS {
            let line = BenchmarkLine {
                clients: 50,
                pipeline,
                requests: if pipeline == 1 { 100_000 } else { 400_000 },
                keyspace: KEYSPACE,
                command: workload.command,
            };
            bench.progress(&format!(
                "serve: {} -P {pipeline} on lockstep serve",
                workload.name
            ));
            let ours = line.run(lockstep.port)?;
            bench.progress(&format!(
                "serve: {} -P {pipeline} on redis-server",
                workload.name
            ));
            let reference = line.run(bench.redis_port()?)?;
            bench.add(Figure {
                group: "serve",
                name: format!("lockstep serve -c 50 -P {pipeline}: {}", workload.name),
                unit: "ops/s",
                better: Better::Higher,
                ours,
                reference_name: format!("redis-server, redis-benchmark -c 50 -P {pipeline}"),
                reference,
                reference_unit: None,
                target: (pipeline == 1).then_some(Target::RatioAtLeast(0.8)),
            });
        }
    }
    Ok(())
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
