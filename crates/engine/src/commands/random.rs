//! The random picks of SPOP, SRANDMEMBER, HRANDFIELD and friends.
//!
//! Redis picks at random; the model must stay deterministic, so a command's
//! picks come from a SplitMix64 sequence seeded with the number of
//! commands the node has processed: different from call to call, the same
//! in every run with the same inputs, native or wasm.

use crate::command::Ctx;

/// The most members a negative count may ask for (SRANDMEMBER, HRANDFIELD,
/// ZRANDMEMBER): Redis would build any reply, however large; the model
/// refuses rather than exhaust memory.
pub const MAX_SAMPLES: u64 = 10_000_000;

/// A sequence of random indexes for one command.
pub struct Picker {
    state: u64,
}

impl Picker {
    /// The picker of the command now running (and of each command in a
    /// script or transaction, which count as processed one by one).
    pub fn for_command(ctx: &Ctx) -> Picker {
        Picker {
            state: ctx.server.stats.total_commands_processed,
        }
    }

    /// A uniform-enough index below `len` (0 when `len` is 0).
    pub fn below(&mut self, len: usize) -> usize {
        self.state = splitmix64(self.state);
        (self.state % len.max(1) as u64) as usize
    }

    /// `count` distinct elements of a collection of `size` (count < size),
    /// as Redis picks them: random ones dropped from `all()` when most are
    /// wanted, random positions drawn (`at`) until enough distinct ones
    /// otherwise. The caller says how to list and how to reach its
    /// elements, so each keeps its own cost for both.
    pub fn distinct<T>(
        &mut self,
        size: usize,
        count: usize,
        all: impl FnOnce() -> Vec<T>,
        at: impl Fn(usize) -> Option<T>,
    ) -> Vec<T> {
        if count * 3 > size {
            let mut kept = all();
            while kept.len() > count {
                let drop = self.below(kept.len());
                kept.swap_remove(drop);
            }
            return kept;
        }
        let mut seen = std::collections::BTreeSet::new();
        let mut picked = Vec::with_capacity(count);
        while picked.len() < count {
            let index = self.below(size);
            if seen.insert(index) {
                if let Some(element) = at(index) {
                    picked.push(element);
                }
            }
        }
        picked
    }
}

/// A fixed, well-mixing step (SplitMix64).
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_stay_below_the_length_and_vary() {
        let mut picker = Picker { state: 7 };
        let picks: Vec<usize> = (0..100).map(|_| picker.below(10)).collect();
        assert!(picks.iter().all(|&p| p < 10));
        let distinct: std::collections::BTreeSet<_> = picks.iter().collect();
        assert!(distinct.len() > 5, "{picks:?}");
        assert_eq!(Picker { state: 3 }.below(0), 0);
    }
}
