//! Redis's `redisLrand48`: the 48-bit linear congruential generator behind
//! `math.random` in scripts. Redis replaces Lua's `math.random` with it so
//! that scripts draw the same sequence on every platform; reproducing it
//! keeps a script's random choices identical to a real server's.

const MULTIPLIER: u64 = 0x5_DEEC_E66D;
const INCREMENT: u64 = 0xB;
const MASK: u64 = (1 << 48) - 1;
const INITIAL: u64 = 0x1234_ABCD_330E;

/// The largest value plus one that `next` returns (`REDIS_LRAND48_MAX`).
pub const LRAND48_MAX: i32 = i32::MAX;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lrand48 {
    state: u64,
}

impl Default for Lrand48 {
    fn default() -> Self {
        Lrand48 { state: INITIAL }
    }
}

impl Lrand48 {
    /// `redisSrand48(seed)`: the high 32 bits from the seed, the low 16 fixed.
    pub fn seed(&mut self, seed: i32) {
        self.state = ((u64::from(seed as u32)) << 16) | 0x330E;
    }

    /// The next value in `0..2^31`.
    pub fn next_value(&mut self) -> i32 {
        self.state = (MULTIPLIER.wrapping_mul(self.state).wrapping_add(INCREMENT)) & MASK;
        (self.state >> 17) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_where_a_fresh_redis_starts() {
        // A fresh redis-server's first math.random() is 851401618 / LRAND48_MAX.
        let mut r = Lrand48::default();
        let got: Vec<i32> = (0..3).map(|_| r.next_value()).collect();
        assert_eq!(got, vec![851_401_618, 1_804_928_587, 758_783_491]);
    }

    #[test]
    fn matches_the_c_library_after_srand48() {
        // Values of lrand48() after srand48(0) from glibc.
        let mut r = Lrand48::default();
        r.seed(0);
        let got: Vec<i32> = (0..3).map(|_| r.next_value()).collect();
        assert_eq!(got, vec![366_850_414, 1_610_402_240, 206_956_554]);
    }
}
