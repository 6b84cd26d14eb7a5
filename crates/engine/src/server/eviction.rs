//! maxmemory's eviction policies (Redis's `evict.c`), made deterministic.
//!
//! Before each command, while `used_memory` is over `maxmemory`, Redis
//! deletes keys chosen by `maxmemory-policy` until it is under again; when
//! nothing is left to choose the command is refused with OOM if it may grow
//! memory. Redis picks its victim from a sample of `maxmemory-samples` keys
//! (5) kept in a pool of the 16 best candidates, so it evicts *one of the*
//! least recently used keys, not the least recently used one. The model
//! evicts the key the sampling approximates, over every database:
//!
//! - `*-lru`: the key accessed longest ago (exact LRU, which Redis's
//!   sampling converges to as the sample grows; ties go to the lower
//!   database, then the keyspace's order);
//! - `*-lfu`: the lowest access counter after decay, then the oldest
//!   access. The counter follows Redis's logarithmic counter
//!   (`LFULogIncr`) but deterministically: starting at 5, it grows by one
//!   after `(counter - 5) * lfu-log-factor + 1` accesses — the expected
//!   number Redis's random draw takes — and loses one per
//!   `lfu-decay-time` minutes without access;
//! - `volatile-ttl`: the key that expires soonest (Redis: the soonest of
//!   its sample);
//! - `*-random`: a key drawn from the keyspace's seeded sequence, visiting
//!   databases round robin as Redis does.
//!
//! `volatile-*` policies choose among keys with a TTL only. Access times
//! and counters are kept only under an LRU or LFU policy (see
//! `Keyspace::track_access`); OBJECT IDLETIME and OBJECT FREQ read them.

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    NoEviction,
    Lru { volatile: bool },
    Lfu { volatile: bool },
    Random { volatile: bool },
    VolatileTtl,
}

impl Policy {
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::Lru { volatile: false },
            "volatile-lru" => Policy::Lru { volatile: true },
            "allkeys-lfu" => Policy::Lfu { volatile: false },
            "volatile-lfu" => Policy::Lfu { volatile: true },
            "allkeys-random" => Policy::Random { volatile: false },
            "volatile-random" => Policy::Random { volatile: true },
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    /// Whether keys' access times and counters are kept.
    pub fn tracks_access(self) -> bool {
        matches!(self, Policy::Lru { .. } | Policy::Lfu { .. })
    }

    /// Whether only keys with a TTL may be evicted.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            Policy::Lru { volatile: true }
                | Policy::Lfu { volatile: true }
                | Policy::Random { volatile: true }
                | Policy::VolatileTtl
        )
    }
}

/// `LFU_INIT_VAL`: a new key's counter.
pub const LFU_INIT_VAL: u8 = 5;
/// `lfu-log-factor`'s default.
const LFU_LOG_FACTOR: u64 = 10;
/// `lfu-decay-time`'s default, in minutes.
const LFU_DECAY_MINUTES: i64 = 1;

/// One key's access record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The last access (clock of the caller, ms).
    pub last_ms: i64,
    /// The logarithmic access counter (LFU), as of `decayed_ms`.
    counter: u8,
    /// When the counter last lost its idle minutes.
    decayed_ms: i64,
    /// Accesses since the counter last grew.
    hits: u64,
}

impl Access {
    pub fn new(now_ms: i64) -> Access {
        Access {
            last_ms: now_ms,
            counter: LFU_INIT_VAL,
            decayed_ms: now_ms,
            hits: 0,
        }
    }

    /// A key that existed before access was tracked: no count.
    pub fn unknown(now_ms: i64) -> Access {
        Access {
            counter: 0,
            ..Access::new(now_ms)
        }
    }

    /// `LFUDecrAndReturn`: the counter less one per idle decay period.
    pub fn counter(&self, now_ms: i64) -> u8 {
        let periods = (now_ms - self.decayed_ms).max(0) / (LFU_DECAY_MINUTES * 60_000);
        self.counter
            .saturating_sub(u8::try_from(periods).unwrap_or(u8::MAX))
    }

    /// An access: decay, then the deterministic `LFULogIncr`.
    pub fn touch(&mut self, now_ms: i64) {
        let decayed = self.counter(now_ms);
        if decayed != self.counter {
            self.counter = decayed;
            self.decayed_ms = now_ms;
        }
        self.last_ms = now_ms;
        if self.counter == u8::MAX {
            return;
        }
        self.hits += 1;
        let base = u64::from(self.counter.saturating_sub(LFU_INIT_VAL));
        if self.hits > base * LFU_LOG_FACTOR {
            self.counter += 1;
            self.hits = 0;
        }
    }
}

impl crate::Engine {
    /// Keeps keys' access records exactly while the policy needs them, and
    /// gives every database the command's time for the keys it stores.
    pub(crate) fn sync_access_tracking(&mut self, policy: Policy, now_ms: i64) {
        let on = policy.tracks_access();
        if !on && !self.server.access_tracked {
            return;
        }
        self.server.access_tracked = on;
        self.db.track_access(on, now_ms);
        for db in &mut self.server.parked_dbs {
            db.track_access(on, now_ms);
        }
    }

    /// Redis's `performEvictions` once memory is over `maxmemory` (`used`
    /// bytes): evicts keys by `policy` until it is not. False if the policy
    /// found nothing more to evict while still over.
    pub(crate) fn evict(
        &mut self,
        mut used: u64,
        maxmemory: u64,
        policy: Policy,
        now_ms: i64,
    ) -> bool {
        let databases = self.server.parked_dbs.len();
        while used > maxmemory {
            self.server.eviction_draws =
                crate::commands::random::splitmix64(self.server.eviction_draws);
            let draw = self.server.eviction_draws;
            let mut best: Option<((i64, i64), usize, Vec<u8>)> = None;
            if let Policy::Random { .. } = policy {
                // Redis's static `next_db`: one database after another.
                for step in 0..databases {
                    let index = (self.server.next_eviction_db + 1 + step) % databases;
                    let Some(db) = self.database(index) else {
                        continue;
                    };
                    if let Some((rank, key)) = db.eviction_candidate(policy, now_ms, draw) {
                        self.server.next_eviction_db = index;
                        best = Some((rank, index, key));
                        break;
                    }
                }
            } else {
                for index in 0..databases {
                    let Some(db) = self.database(index) else {
                        continue;
                    };
                    if let Some((rank, key)) = db.eviction_candidate(policy, now_ms, draw) {
                        if best.as_ref().is_none_or(|(r, _, _)| rank < *r) {
                            best = Some((rank, index, key));
                        }
                    }
                }
            }
            let Some((_, index, key)) = best else {
                return false;
            };
            let Some(db) = self.database_mut(index) else {
                return false;
            };
            let freed = db
                .peek(&key)
                .map_or(0, |e| super::memory::key_usage(&key, e));
            db.remove(&key);
            used = used.saturating_sub(freed.max(1));
            self.server.stats.evicted_keys += 1;
            if let Some(&anyone) = self.clients.keys().next() {
                let mut ctx = crate::command::Ctx {
                    db: &mut self.db,
                    clients: &mut self.clients,
                    server: &mut self.server,
                    client_id: anyone,
                    now_ms,
                    caller: crate::command::Caller::Client,
                    cost_ns: 0,
                };
                crate::notify::evicted_key(&mut ctx, index, &key);
                crate::tracking::invalidate_logged_now(&mut ctx);
            }
        }
        true
    }

    fn database_mut(&mut self, index: usize) -> Option<&mut crate::keyspace::Keyspace> {
        if index == self.server.active_db {
            Some(&mut self.db)
        } else {
            self.server.parked_dbs.get_mut(index)
        }
    }
}

/// Whether `args` is a CONFIG SET naming `maxmemory` (Redis evicts while
/// applying it, before the next command).
pub(crate) fn changes_maxmemory(args: &[Vec<u8>]) -> bool {
    args.len() >= 4
        && args[0].eq_ignore_ascii_case(b"config")
        && args[1].eq_ignore_ascii_case(b"set")
        && args[2..]
            .iter()
            .step_by(2)
            .any(|name| name.eq_ignore_ascii_case(b"maxmemory"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_grows_ever_more_slowly_and_decays_when_idle() {
        let mut access = Access::new(0);
        access.touch(0);
        assert_eq!(access.counter(0), 6);
        // From 6 on it takes 11 accesses to grow, from 7 on 21.
        for _ in 0..10 {
            access.touch(0);
        }
        assert_eq!(access.counter(0), 6);
        access.touch(0);
        assert_eq!(access.counter(0), 7);
        assert_eq!(access.counter(3 * 60_000), 4);
    }

    #[test]
    fn policies_parse_as_redis_names_them() {
        assert_eq!(Policy::parse("volatile-ttl"), Policy::VolatileTtl);
        assert!(Policy::parse("allkeys-lfu").tracks_access());
        assert!(!Policy::parse("allkeys-random").tracks_access());
        assert!(Policy::parse("volatile-random").volatile_only());
        assert_eq!(Policy::parse("noeviction"), Policy::NoEviction);
    }
}

#[cfg(test)]
mod engine_tests {
    use crate::{Engine, Reply};

    fn run(e: &mut Engine, c: u64, line: &str, now: i64) -> Reply {
        let args: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        e.execute(c, &args, now).reply
    }

    #[test]
    fn a_new_key_starts_at_five_and_its_first_read_makes_six() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        run(&mut e, c, "CONFIG SET maxmemory-policy allkeys-lfu", 0);
        run(&mut e, c, "SET g hello", 0);
        assert_eq!(run(&mut e, c, "OBJECT FREQ g", 0), Reply::Integer(5));
        run(&mut e, c, "GET g", 0);
        assert_eq!(run(&mut e, c, "OBJECT FREQ g", 0), Reply::Integer(6));
    }

    fn used_memory(e: &mut Engine, c: u64) -> u64 {
        let reply = run(e, c, "INFO memory", 0);
        let Reply::Verbatim(text) = &reply else {
            panic!("INFO answers text");
        };
        text.lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.parse().ok())
            .expect("used_memory")
    }

    fn evicted(e: &mut Engine, c: u64) -> String {
        let reply = run(e, c, "INFO stats", 0);
        let Reply::Verbatim(text) = &reply else {
            panic!("INFO answers text");
        };
        text.lines()
            .find_map(|l| l.strip_prefix("evicted_keys:"))
            .expect("evicted_keys")
            .to_string()
    }

    #[test]
    fn allkeys_lru_evicts_the_key_read_longest_ago_and_counts_it() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        run(&mut e, c, "CONFIG SET maxmemory-policy allkeys-lru", 0);
        for key in ["a", "b", "c"] {
            run(&mut e, c, &format!("SET {key} value-of-{key}"), 0);
        }
        run(&mut e, c, "GET a", 1_000);
        run(&mut e, c, "GET c", 2_000);
        assert_eq!(
            run(&mut e, c, "OBJECT IDLETIME b", 5_000),
            Reply::Integer(5)
        );
        let limit = used_memory(&mut e, c) - 1;
        run(&mut e, c, &format!("CONFIG SET maxmemory {limit}"), 3_000);
        assert_eq!(run(&mut e, c, "EXISTS a b c", 3_000), Reply::Integer(2));
        assert_eq!(run(&mut e, c, "EXISTS b", 3_000), Reply::Integer(0));
        assert_eq!(evicted(&mut e, c), "1");
    }

    #[test]
    fn allkeys_lfu_evicts_the_least_read_key() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        run(&mut e, c, "CONFIG SET maxmemory-policy allkeys-lfu", 0);
        for key in ["a", "b", "c"] {
            run(&mut e, c, &format!("SET {key} value-of-{key}"), 0);
        }
        // b is read last but least often: a and c reach counter 7, b 6.
        for _ in 0..12 {
            run(&mut e, c, "GET a", 10);
            run(&mut e, c, "GET c", 10);
        }
        run(&mut e, c, "GET b", 20);
        let limit = used_memory(&mut e, c) - 1;
        run(&mut e, c, &format!("CONFIG SET maxmemory {limit}"), 30);
        assert_eq!(run(&mut e, c, "EXISTS b", 30), Reply::Integer(0));
        assert_eq!(run(&mut e, c, "EXISTS a c", 30), Reply::Integer(2));
    }

    #[test]
    fn volatile_random_spares_keys_without_a_ttl_and_repeats_its_picks() {
        let picks = || {
            let mut e = Engine::new(0);
            let c = e.connect("127.0.0.1:1", 0);
            run(&mut e, c, "CONFIG SET maxmemory-policy volatile-random", 0);
            run(&mut e, c, "SET keep x", 0);
            for i in 0..10 {
                run(&mut e, c, &format!("SET v{i} x EX 100"), 0);
            }
            let limit = used_memory(&mut e, c) - 200;
            run(&mut e, c, &format!("CONFIG SET maxmemory {limit}"), 0);
            assert_eq!(run(&mut e, c, "EXISTS keep", 0), Reply::Integer(1));
            let left: Vec<Reply> = (0..10)
                .map(|i| run(&mut e, c, &format!("EXISTS v{i}"), 0))
                .collect();
            assert!(left.contains(&Reply::Integer(0)), "something was evicted");
            left
        };
        assert_eq!(picks(), picks());
    }
}
