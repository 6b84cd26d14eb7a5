//! The commands `lockstep bench --only engine` measures, straight into
//! `Engine::execute`, one workload at a time so a profiler sees one
//! command's path: SET, GET, INCR, ZADD, ZREVRANK and EVAL of the
//! safe-release script, with `redis-benchmark`'s random 12-digit keys.
//!
//! `cargo bench -p lockstep-engine --bench commands -- [NAME ...] [N]`
//! (names as printed, e.g. `EVAL`; N commands per workload, default
//! 300,000). The command lines are those of
//! `crates/cli/src/bench/workload.rs`.

use std::time::Instant;

use lockstep_engine::Engine;

const SAFE_RELEASE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// In the order they run: ZREVRANK reads the set ZADD filled.
const WORKLOADS: &[(&str, &[&str])] = &[
    ("SET", &["SET", "key:__rand_int__", "xxx"]),
    ("GET", &["GET", "key:__rand_int__"]),
    ("INCR", &["INCR", "counter:__rand_int__"]),
    (
        "ZADD",
        &["ZADD", "board", "__rand_int__", "member:__rand_int__"],
    ),
    ("ZREVRANK", &["ZREVRANK", "board", "member:__rand_int__"]),
    (
        "EVAL",
        &["EVAL", SAFE_RELEASE, "1", "lock:__rand_int__", "token"],
    ),
];

/// CPU seconds this process has used, from `/proc/self/stat` (Linux; None
/// elsewhere): on a loaded machine wall time stretches far more than CPU
/// time, so both are printed.
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
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The command with each `__rand_int__` replaced by a zero-padded number
/// below 100,000, as `redis-benchmark -r 100000` does.
fn expand(command: &[&str], rng: &mut Rng) -> Vec<Vec<u8>> {
    command
        .iter()
        .map(|arg| {
            arg.split("__rand_int__")
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part.to_string()
                    } else {
                        format!("{:012}{part}", rng.below(100_000))
                    }
                })
                .collect::<String>()
                .into_bytes()
        })
        .collect()
}

fn main() {
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let count: u64 = words.iter().find_map(|w| w.parse().ok()).unwrap_or(300_000);
    let chosen: Vec<&String> = words.iter().filter(|w| w.parse::<u64>().is_err()).collect();
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:1", 0);
    let mut rng = Rng(0x5eed);
    for (name, command) in WORKLOADS {
        let chose = |wanted: &str| chosen.iter().any(|c| c.eq_ignore_ascii_case(wanted));
        // ZREVRANK needs the board even when only it is measured.
        let needed = chosen.is_empty() || chose(name) || (*name == "ZADD" && chose("ZREVRANK"));
        if !needed {
            continue;
        }
        let commands: Vec<Vec<Vec<u8>>> = (0..count).map(|_| expand(command, &mut rng)).collect();
        let started = Instant::now();
        let cpu_started = cpu_seconds();
        for args in &commands {
            let outcome = engine.execute(client, args, 0);
            assert!(!outcome.reply.is_error(), "{name}: {:?}", outcome.reply);
        }
        let secs = started.elapsed().as_secs_f64();
        let cpu = match (cpu_started, cpu_seconds()) {
            (Some(a), Some(b)) if b > a => {
                format!("{:>7.3} us/op CPU", (b - a) * 1e6 / count as f64)
            }
            _ => String::new(),
        };
        println!(
            "{name:<10} {count:>8} ops {:>10.0} ops/s {:>7.3} us/op wall {cpu}",
            count as f64 / secs,
            secs * 1e6 / count as f64
        );
    }
}
