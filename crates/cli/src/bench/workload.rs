//! The commands the engine and protocol benches run, written once as
//! `redis-benchmark` command lines so every side runs the same commands
//! with the same sizes.

/// The safe lock release: delete the key only if it still holds our token.
pub const SAFE_RELEASE: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// How many different keys `__rand_int__` ranges over (`-r`).
pub const KEYSPACE: u64 = 100_000;

/// One benchmarked command: a short name and its `redis-benchmark` line.
pub struct Workload {
    pub name: &'static str,
    pub command: &'static [&'static str],
}

/// In the order they run: ZREVRANK reads the set ZADD filled.
pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "SET",
        command: &["SET", "key:__rand_int__", "xxx"],
    },
    Workload {
        name: "GET",
        command: &["GET", "key:__rand_int__"],
    },
    Workload {
        name: "INCR",
        command: &["INCR", "counter:__rand_int__"],
    },
    Workload {
        name: "ZADD",
        command: &["ZADD", "board", "__rand_int__", "member:__rand_int__"],
    },
    Workload {
        name: "ZREVRANK",
        command: &["ZREVRANK", "board", "member:__rand_int__"],
    },
    Workload {
        name: "EVAL safe-release",
        command: &["EVAL", SAFE_RELEASE, "1", "lock:__rand_int__", "token"],
    },
];

/// A fixed xorshift generator, so every run does the same work.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// The command with each `__rand_int__` replaced as `redis-benchmark`
/// replaces it: a number below [`KEYSPACE`], zero-padded to 12 digits.
pub fn expand(command: &[&str], rng: &mut Rng) -> Vec<Vec<u8>> {
    command
        .iter()
        .map(|arg| {
            let mut out = String::with_capacity(arg.len());
            let mut rest = *arg;
            while let Some(at) = rest.find("__rand_int__") {
                out.push_str(&rest[..at]);
                out.push_str(&format!("{:012}", rng.below(KEYSPACE)));
                rest = &rest[at + "__rand_int__".len()..];
            }
            out.push_str(rest);
            out.into_bytes()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_placeholders_become_twelve_digit_numbers() {
        let mut rng = Rng(7);
        let args = expand(
            &["ZADD", "board", "__rand_int__", "m:__rand_int__"],
            &mut rng,
        );
        assert_eq!(args[0], b"ZADD");
        assert_eq!(args[1], b"board");
        assert_eq!(args[2].len(), 12);
        assert!(args[2].iter().all(u8::is_ascii_digit));
        assert!(args[3].starts_with(b"m:") && args[3].len() == 14);
    }
}
