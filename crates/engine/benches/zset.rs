//! A million-member leaderboard through the command API: ZADD, ZRANK,
//! ZRANGE, ZINCRBY, ZSCORE and ZREVRANGE, each run `OPS` times, reported in
//! operations per second.
//!
//! `cargo bench -p lockstep-engine --bench zset` (add `-- N M` for N
//! members and M operations of each kind; both default to 1,000,000).
//! Commands go through `Engine::execute`, so the numbers include dispatch
//! and building replies, not just the skip list.

use std::time::Instant;

use lockstep_engine::{ClientId, Engine};

/// CPU seconds this process has used, from `/proc/self/stat` (Linux; None
/// elsewhere). Reported next to wall time because a loaded machine
/// stretches wall time far more than CPU time.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(ticks / 100.0)
}

/// A fixed xorshift generator, so every run does the same work.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn args(words: &[&[u8]]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.to_vec()).collect()
}

fn member(i: u64) -> Vec<u8> {
    format!("player:{i}").into_bytes()
}

/// Runs `count` commands built by `make` (built before the clock starts)
/// and prints the throughput.
fn run(
    name: &str,
    count: u64,
    engine: &mut Engine,
    client: ClientId,
    make: &mut dyn FnMut(u64) -> Vec<Vec<u8>>,
) {
    let commands: Vec<Vec<Vec<u8>>> = (0..count).map(&mut *make).collect();
    let started = Instant::now();
    let cpu_started = cpu_seconds();
    for command in &commands {
        let outcome = engine.execute(client, command, 0);
        assert!(!outcome.reply.is_error(), "{name}: {:?}", outcome.reply);
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = match (cpu_started, cpu_seconds()) {
        (Some(a), Some(b)) if b > a => format!(
            "{:>10.0} ops/s CPU ({:.2} us/op)",
            count as f64 / (b - a),
            (b - a) * 1e6 / count as f64
        ),
        _ => String::new(),
    };
    println!(
        "{name:<40} {count:>8} ops {:>10.0} ops/s wall {cpu}",
        count as f64 / secs
    );
}

fn main() {
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let members = numbers.first().copied().unwrap_or(1_000_000);
    let ops = numbers.get(1).copied().unwrap_or(members);
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:1", 0);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    run(
        &format!("ZADD lb <score> <member> ({members} new)"),
        members,
        &mut engine,
        client,
        &mut |i| {
            let score = (i * 7919 % 1_000_003).to_string();
            args(&[b"ZADD", b"lb", score.as_bytes(), &member(i)])
        },
    );
    run(
        "ZRANK lb <random member>",
        ops,
        &mut engine,
        client,
        &mut |_| args(&[b"ZRANK", b"lb", &member(rng.below(members))]),
    );
    run(
        "ZSCORE lb <random member>",
        ops,
        &mut engine,
        client,
        &mut |_| args(&[b"ZSCORE", b"lb", &member(rng.below(members))]),
    );
    run(
        "ZRANGE lb <r> <r+9> WITHSCORES",
        ops,
        &mut engine,
        client,
        &mut |_| {
            let start = rng.below(members);
            let (a, b) = (start.to_string(), (start + 9).to_string());
            args(&[b"ZRANGE", b"lb", a.as_bytes(), b.as_bytes(), b"WITHSCORES"])
        },
    );
    run(
        "ZREVRANGE lb 0 9 WITHSCORES (top 10)",
        ops,
        &mut engine,
        client,
        &mut |_| args(&[b"ZREVRANGE", b"lb", b"0", b"9", b"WITHSCORES"]),
    );
    run(
        "ZINCRBY lb <1..100> <random member>",
        ops,
        &mut engine,
        client,
        &mut |_| {
            let by = (1 + rng.below(100)).to_string();
            args(&[
                b"ZINCRBY",
                b"lb",
                by.as_bytes(),
                &member(rng.below(members)),
            ])
        },
    );
    run(
        "ZRANGEBYSCORE lb <s> +inf LIMIT 0 10",
        ops,
        &mut engine,
        client,
        &mut |_| {
            let min = rng.below(1_000_003).to_string();
            args(&[
                b"ZRANGEBYSCORE",
                b"lb",
                min.as_bytes(),
                b"+inf",
                b"LIMIT",
                b"0",
                b"10",
            ])
        },
    );
    run(
        "ZCOUNT lb <s> <s+1000>",
        ops,
        &mut engine,
        client,
        &mut |_| {
            let min = rng.below(1_000_003);
            let (a, b) = (min.to_string(), (min + 1000).to_string());
            args(&[b"ZCOUNT", b"lb", a.as_bytes(), b.as_bytes()])
        },
    );
}
