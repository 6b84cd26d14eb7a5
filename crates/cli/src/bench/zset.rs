//! A 1M-member sorted set: the time to insert it with one ZADD per member,
//! then ZREVRANK and ZREVRANGE latency (p50, p99) on it. Ours is timed in
//! process around each `Engine::execute`; the reference is the time
//! `redis-server` itself reports spending in those commands (`INFO
//! commandstats`, `INFO latencystats`), so neither side counts the network.
//! Then the simulator at that size: a leaderboard scenario whose node is
//! populated with 1M members, timed until its world is ready and per
//! event (`tests/bench/scale/leaderboard.toml`).

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::net::TcpStream as Socket;
use std::rc::Rc;
use std::time::Instant;

use lockstep_engine::Engine;

use lockstep_sim::{RunOptions, Scenario, World};

use super::figure::{Better, Figure, Target};
use super::workload::Rng;
use super::Bench;

const MEMBERS: u64 = 1_000_000;
/// Lookups of each kind whose latency is measured.
const LOOKUPS: u64 = 100_000;

fn zadd(i: u64) -> Vec<Vec<u8>> {
    // Scores spread over a wide range so inserts land all over the list.
    let score = (i.wrapping_mul(2_654_435_761) % 10_000_000).to_string();
    vec![
        b"ZADD".to_vec(),
        b"bigboard".to_vec(),
        score.into_bytes(),
        format!("player:{i}").into_bytes(),
    ]
}

fn zrevrank(rng: &mut Rng) -> Vec<Vec<u8>> {
    let member = format!("player:{}", rng.below(MEMBERS));
    vec![
        b"ZREVRANK".to_vec(),
        b"bigboard".to_vec(),
        member.into_bytes(),
    ]
}

fn zrevrange(rng: &mut Rng) -> Vec<Vec<u8>> {
    let start = rng.below(MEMBERS - 10);
    vec![
        b"ZREVRANGE".to_vec(),
        b"bigboard".to_vec(),
        start.to_string().into_bytes(),
        (start + 9).to_string().into_bytes(),
    ]
}

/// Insert seconds and (p50, p99) microseconds of ZREVRANK and ZREVRANGE.
#[derive(Clone, Copy, Debug)]
pub struct Timings {
    pub insert_s: f64,
    pub zrevrank: (f64, f64),
    pub zrevrange: (f64, f64),
}

pub fn run(bench: &mut Bench) -> Result<(), String> {
    bench.progress("zset: 1M ZADD in process");
    let ours = native_timings(bench)?;
    bench.progress("zset: 1M ZADD on redis-server");
    let port = bench.redis_port()?;
    let reference = reference(port).map_err(|e| format!("redis-server: {e}"))?;
    let reference_name = "redis-server's own timing (INFO)";
    let mut add = |name: &str, unit: &'static str, ours: f64, reference: f64| {
        bench.add(Figure {
            group: "zset",
            name: name.into(),
            unit,
            better: Better::Lower,
            ours,
            reference_name: reference_name.into(),
            reference,
            reference_unit: None,
            target: None,
        })
    };
    add(
        "1M-member zset: insert, native",
        "s",
        ours.insert_s,
        reference.insert_s,
    );
    add(
        "1M-member zset: ZREVRANK p50, native",
        "µs",
        ours.zrevrank.0,
        reference.zrevrank.0,
    );
    add(
        "1M-member zset: ZREVRANK p99, native",
        "µs",
        ours.zrevrank.1,
        reference.zrevrank.1,
    );
    add(
        "1M-member zset: ZREVRANGE p50, native",
        "µs",
        ours.zrevrange.0,
        reference.zrevrange.0,
    );
    add(
        "1M-member zset: ZREVRANGE p99, native",
        "µs",
        ours.zrevrange.1,
        reference.zrevrange.1,
    );

    bench.progress("zset: the leaderboard scenario populated with 1M members, native");
    let big = native_scale(bench)?;
    let small = scale_timings(SMALL_BOARD)?;
    bench.add(Figure {
        group: "zset",
        name: "1M-member leaderboard scenario: ready (populate), native".into(),
        unit: "s",
        better: Better::Lower,
        ours: big.ready_s,
        reference_name: "redis-server's 1M ZADD (INFO)".into(),
        reference: reference.insert_s,
        reference_unit: None,
        target: Some(Target::AtMost(2.0)),
    });
    bench.add(Figure {
        group: "zset",
        name: "1M-member leaderboard scenario: slowest step, native".into(),
        unit: "ms",
        better: Better::Lower,
        ours: big.step_max_ms,
        reference_name: "the same scenario on 1k members".into(),
        reference: small.step_max_ms,
        reference_unit: None,
        target: Some(Target::AtMost(16.0)),
    });
    Ok(())
}

/// The populated 1M-member scenario's native figures, measured once per
/// run (the wasm group compares with them too).
pub fn native_scale(bench: &mut Bench) -> Result<Scale, String> {
    if let Some(scale) = bench.native_scale {
        return Ok(scale);
    }
    let scale = scale_timings(MEMBERS)?;
    bench.native_scale = Some(scale);
    Ok(scale)
}

/// The leaderboard scenario shared with the wasm bench; `MEMBERS` in it
/// is replaced by the board's size.
pub const SCALE_SCENARIO: &str = include_str!("../../../../tests/bench/scale/leaderboard.toml");

/// The board size the scale figures' step time is compared with.
const SMALL_BOARD: u64 = 1_000;

/// The leaderboard scenario on a board of some size: how long building
/// the world takes (populating it), and its events' mean and slowest
/// times, each event stepped and timed on its own.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub ready_s: f64,
    pub step_mean_ms: f64,
    pub step_max_ms: f64,
}

pub fn scale_timings(members: u64) -> Result<Scale, String> {
    let text = SCALE_SCENARIO.replace("MEMBERS", &members.to_string());
    let scenario = Rc::new(Scenario::parse(&text).map_err(|e| e.to_string())?);
    let started = Instant::now();
    let mut world = World::new(
        Rc::clone(&scenario),
        scenario.faults.clone(),
        RunOptions::new(scenario.seed),
    )?;
    let ready_s = started.elapsed().as_secs_f64();
    let mut steps_ms = Vec::new();
    loop {
        let started = Instant::now();
        let more = world.step();
        steps_ms.push(started.elapsed().as_secs_f64() * 1e3);
        if !more {
            break;
        }
    }
    let total: f64 = steps_ms.iter().sum();
    Ok(Scale {
        ready_s,
        step_mean_ms: total / steps_ms.len() as f64,
        step_max_ms: steps_ms.iter().copied().fold(0.0, f64::max),
    })
}

/// Our native figures, measured once per run (the wasm group compares
/// with them too).
pub fn native_timings(bench: &mut Bench) -> Result<Timings, String> {
    if let Some(timings) = bench.native_zset {
        return Ok(timings);
    }
    let timings = ours()?;
    bench.native_zset = Some(timings);
    Ok(timings)
}

fn ours() -> Result<Timings, String> {
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:1", 0);
    let commands: Vec<_> = (0..MEMBERS).map(zadd).collect();
    let started = Instant::now();
    for command in &commands {
        let outcome = engine.execute(client, command, 0);
        if outcome.reply.is_error() {
            return Err(format!("ZADD: {:?}", outcome.reply));
        }
    }
    let insert_s = started.elapsed().as_secs_f64();
    drop(commands);
    let mut latencies = |make: fn(&mut Rng) -> Vec<Vec<u8>>| {
        let mut rng = Rng(0x2a);
        let mut micros: Vec<f64> = (0..LOOKUPS)
            .map(|_| {
                let command = make(&mut rng);
                let started = Instant::now();
                let outcome = engine.execute(client, &command, 0);
                std::hint::black_box(outcome);
                started.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        micros.sort_by(f64::total_cmp);
        let at = |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)];
        (at(0.50), at(0.99))
    };
    Ok(Timings {
        insert_s,
        zrevrank: latencies(zrevrank),
        zrevrange: latencies(zrevrange),
    })
}

fn reference(port: u16) -> std::io::Result<Timings> {
    let stream = Socket::connect(("127.0.0.1", port))?;
    let mut writer = BufWriter::new(stream.try_clone()?);
    let mut reader = BufReader::new(stream);
    send(
        &mut writer,
        &mut reader,
        &mut [
            vec![b"DEL".to_vec(), b"bigboard".to_vec()],
            vec![b"CONFIG".to_vec(), b"RESETSTAT".to_vec()],
        ]
        .into_iter(),
    )?;
    send(&mut writer, &mut reader, &mut (0..MEMBERS).map(zadd))?;
    let mut rng = Rng(0x2a);
    send(
        &mut writer,
        &mut reader,
        &mut (0..LOOKUPS).map(|_| zrevrank(&mut rng)),
    )?;
    let mut rng = Rng(0x2a);
    send(
        &mut writer,
        &mut reader,
        &mut (0..LOOKUPS).map(|_| zrevrange(&mut rng)),
    )?;
    write_command(&mut writer, &[b"INFO".to_vec(), b"everything".to_vec()])?;
    writer.flush()?;
    let info = read_bulk(&mut reader)?;
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let zadd_usec =
        info_field(&info, "cmdstat_zadd:", "usec=").ok_or_else(|| invalid("no cmdstat_zadd"))?;
    let percentiles = |command: &str| -> std::io::Result<(f64, f64)> {
        let key = format!("latency_percentiles_usec_{command}:");
        let p50 = info_field(&info, &key, "p50=").ok_or_else(|| invalid("no latencystats"))?;
        let p99 = info_field(&info, &key, "p99=").ok_or_else(|| invalid("no latencystats"))?;
        Ok((p50, p99))
    };
    send(
        &mut writer,
        &mut reader,
        &mut [vec![b"DEL".to_vec(), b"bigboard".to_vec()]].into_iter(),
    )?;
    Ok(Timings {
        insert_s: zadd_usec / 1e6,
        zrevrank: percentiles("zrevrank")?,
        zrevrange: percentiles("zrevrange")?,
    })
}

/// Sends `commands` pipelined, in batches so that neither side's socket
/// buffer fills while the other waits, and drops the replies.
fn send(
    writer: &mut BufWriter<Socket>,
    reader: &mut BufReader<Socket>,
    commands: &mut dyn Iterator<Item = Vec<Vec<u8>>>,
) -> std::io::Result<()> {
    let mut pending = 0;
    for command in commands {
        write_command(writer, &command)?;
        pending += 1;
        if pending == 10_000 {
            writer.flush()?;
            for _ in 0..pending {
                skip_reply(reader)?;
            }
            pending = 0;
        }
    }
    writer.flush()?;
    for _ in 0..pending {
        skip_reply(reader)?;
    }
    Ok(())
}

/// The number after `field` on the INFO line starting with `line`.
fn info_field(info: &str, line: &str, field: &str) -> Option<f64> {
    let line = info.lines().find(|l| l.starts_with(line))?;
    let at = line.find(field)? + field.len();
    let rest = &line[at..];
    let end = rest.find(',').unwrap_or(rest.len());
    rest[..end].trim().parse().ok()
}

fn write_command(out: &mut impl Write, args: &[Vec<u8>]) -> std::io::Result<()> {
    write!(out, "*{}\r\n", args.len())?;
    for arg in args {
        write!(out, "${}\r\n", arg.len())?;
        out.write_all(arg)?;
        out.write_all(b"\r\n")?;
    }
    Ok(())
}

/// Reads one RESP2 reply and drops it.
fn skip_reply(reader: &mut impl BufRead) -> std::io::Result<()> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    let count = || -> i64 {
        String::from_utf8_lossy(&line[1..])
            .trim()
            .parse()
            .unwrap_or(-1)
    };
    match line.first() {
        Some(b'$') if count() >= 0 => {
            let mut body = vec![0u8; count() as usize + 2];
            reader.read_exact(&mut body)
        }
        Some(b'*') => {
            for _ in 0..count().max(0) {
                skip_reply(reader)?;
            }
            Ok(())
        }
        Some(b'-') => Err(std::io::Error::other(
            String::from_utf8_lossy(&line).trim().to_string(),
        )),
        _ => Ok(()),
    }
}

fn read_bulk(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let len: usize = line
        .trim_start_matches('$')
        .trim()
        .parse()
        .map_err(|_| std::io::Error::other(format!("not a bulk string: {line}")))?;
    let mut body = vec![0u8; len + 2];
    reader.read_exact(&mut body)?;
    Ok(String::from_utf8_lossy(&body).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_fields_are_read_from_their_line() {
        let info = "# Commandstats\r\ncmdstat_zadd:calls=3,usec=120,usec_per_call=40.00\r\n\
                    latency_percentiles_usec_zrevrank:p50=1.003,p99=2.007,p99.9=5.001\r\n";
        assert_eq!(info_field(info, "cmdstat_zadd:", "usec="), Some(120.0));
        assert_eq!(
            info_field(info, "latency_percentiles_usec_zrevrank:", "p99="),
            Some(2.007)
        );
        assert_eq!(info_field(info, "cmdstat_get:", "usec="), None);
    }
}
