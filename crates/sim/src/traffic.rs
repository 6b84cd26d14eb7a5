//! The traffic generator: N users sending requests to app-server clients —
//! evenly spaced at a rate, in bursts, or as a Poisson process — the load
//! behind rate limiters, stampedes and session failover.
//!
//! Users are open-loop: they send on their schedule whatever happened to
//! earlier requests, as real traffic does. Randomness (Poisson gaps, which
//! user sends) comes from the world's one generator, and the exponential
//! gaps are computed with IEEE arithmetic only (no `ln` from a platform
//! library), so native and wasm draw the same times.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::clock::ms;
use crate::scenario::{Pattern, Routing, TrafficSpec};
use crate::trace::Time;

/// One request as the generator makes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// 1, 2, 3, ... per generator.
    pub id: u64,
    /// 1 to `users`.
    pub user: u64,
    /// Index into the spec's `to`.
    pub server: usize,
}

/// A generator's progress.
#[derive(Clone, Debug)]
pub struct Generator {
    pub spec: TrafficSpec,
    sent: u64,
    /// Whether every request has been made.
    pub done: bool,
}

impl Generator {
    pub fn new(spec: TrafficSpec) -> Generator {
        Generator {
            spec,
            sent: 0,
            done: false,
        }
    }

    fn start(&self) -> Time {
        ms(self.spec.start_ms)
    }

    fn end(&self) -> Time {
        self.start() + ms(self.spec.duration_ms)
    }

    /// When the first batch goes out, if any.
    pub fn first_at(&self, rng: &mut ChaCha8Rng) -> Option<Time> {
        match self.spec.pattern {
            Pattern::Poisson => self.after(self.start(), rng),
            _ => Some(self.start()).filter(|&t| t < self.end()),
        }
    }

    /// The requests due now (a burst is several), and when the next batch
    /// goes out — `None` when this was the last.
    pub fn batch(&mut self, now: Time, rng: &mut ChaCha8Rng) -> (Vec<Request>, Option<Time>) {
        let size = match self.spec.pattern {
            Pattern::Burst => self.spec.burst.max(1),
            _ => 1,
        };
        let requests = (0..size).map(|_| self.make(rng)).collect();
        let next = match self.spec.pattern {
            Pattern::Steady => {
                // From the count, not the last time, so rounding never
                // accumulates: request n leaves at start + n / rate.
                let offset = self.sent as f64 * 1000.0 / self.spec.rate_per_s;
                Some(self.start() + ms(offset))
            }
            Pattern::Burst => Some(now + ms(self.spec.every_ms).max(1)),
            Pattern::Poisson => self.after(now, rng),
        }
        .filter(|&t| t < self.end());
        self.done = next.is_none();
        (requests, next)
    }

    fn make(&mut self, rng: &mut ChaCha8Rng) -> Request {
        self.sent += 1;
        let id = self.sent;
        let users = self.spec.users.max(1);
        let user = match self.spec.pattern {
            Pattern::Poisson => rng.random_range(1..=users),
            _ => (id - 1) % users + 1,
        };
        let servers = self.spec.to.len().max(1) as u64;
        let server = match self.spec.routing {
            Routing::RoundRobin => (id - 1) % servers,
            Routing::Sticky => (user - 1) % servers,
        } as usize;
        Request { id, user, server }
    }

    /// The next Poisson arrival after `now`: an exponential gap with mean
    /// 1 / rate.
    fn after(&self, now: Time, rng: &mut ChaCha8Rng) -> Option<Time> {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u: f64 = 1.0 - rng.random::<f64>();
        let gap_ms = -ln(u) * 1000.0 / self.spec.rate_per_s;
        Some(now + ms(gap_ms).max(1)).filter(|&t| t < self.end())
    }
}

/// The natural logarithm of `x` > 0 with basic arithmetic only: `x = m·2^e`
/// with m in [1, 2), then ln m = 2·atanh((m-1)/(m+1)) by its series, which
/// converges fast for such m. Accurate to about 1e-15 relative.
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return x;
    }
    let mut m = x;
    let mut e = 0i32;
    while m >= 2.0 {
        m /= 2.0;
        e += 1;
    }
    while m < 1.0 {
        m *= 2.0;
        e -= 1;
    }
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 80.0 {
        sum += term / k;
        term *= z2;
        k += 2.0;
    }
    2.0 * sum + e as f64 * std::f64::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn spec(pattern: Pattern, routing: Routing) -> TrafficSpec {
        TrafficSpec {
            name: "users".into(),
            to: vec!["app-1".into(), "app-2".into()],
            users: 3,
            routing,
            pattern,
            rate_per_s: 100.0,
            burst: 4,
            every_ms: 250.0,
            start_ms: 0.0,
            duration_ms: 1000.0,
        }
    }

    fn all(mut generator: Generator, seed: u64) -> Vec<(Time, Request)> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut out = Vec::new();
        let mut at = generator.first_at(&mut rng);
        while let Some(now) = at {
            let (requests, next) = generator.batch(now, &mut rng);
            out.extend(requests.into_iter().map(|r| (now, r)));
            at = next;
        }
        out
    }

    #[test]
    fn steady_traffic_is_evenly_spaced_and_round_robin() {
        let sent = all(
            Generator::new(spec(Pattern::Steady, Routing::RoundRobin)),
            1,
        );
        assert_eq!(sent.len(), 100, "100 per second for one second");
        assert_eq!(sent[1].0 - sent[0].0, 10_000);
        assert_eq!(sent[99].0, 990_000);
        let servers: Vec<usize> = sent.iter().take(4).map(|(_, r)| r.server).collect();
        assert_eq!(servers, [0, 1, 0, 1]);
        let users: Vec<u64> = sent.iter().take(4).map(|(_, r)| r.user).collect();
        assert_eq!(users, [1, 2, 3, 1]);
    }

    #[test]
    fn sticky_routing_keeps_each_user_on_one_server() {
        let sent = all(Generator::new(spec(Pattern::Steady, Routing::Sticky)), 1);
        for (_, r) in &sent {
            assert_eq!(r.server, ((r.user - 1) % 2) as usize);
        }
    }

    #[test]
    fn bursts_arrive_together() {
        let sent = all(Generator::new(spec(Pattern::Burst, Routing::RoundRobin)), 1);
        assert_eq!(sent.len(), 16, "four bursts of four");
        assert!(sent[..4].iter().all(|(t, _)| *t == 0));
        assert!(sent[4..8].iter().all(|(t, _)| *t == 250_000));
    }

    #[test]
    fn poisson_traffic_follows_its_rate_and_its_seed() {
        let mut fast = spec(Pattern::Poisson, Routing::RoundRobin);
        fast.rate_per_s = 1000.0;
        fast.duration_ms = 10_000.0;
        let a = all(Generator::new(fast.clone()), 1);
        let b = all(Generator::new(fast.clone()), 2);
        assert_eq!(a, all(Generator::new(fast), 1), "same seed, same times");
        assert_ne!(a, b);
        // 10 000 expected; the standard deviation is 100.
        for sent in [&a, &b] {
            assert!((9_500..=10_500).contains(&sent.len()), "{}", sent.len());
        }
    }

    #[test]
    fn ln_agrees_with_the_library() {
        for x in [
            1e-300, 1e-9, 0.001, 0.5, 0.999_999, 1.0, 1.5, 2.0, 7.0, 1e12,
        ] {
            let (mine, std) = (ln(x), x.ln());
            assert!((mine - std).abs() <= 1e-13 * std.abs().max(1.0), "{x}");
        }
        assert!(ln(0.0).is_nan() && ln(-1.0).is_nan());
    }
}
