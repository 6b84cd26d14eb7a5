//! Sorted set values: a member → score map for O(1) score lookups and a
//! skip list ordered by (score, member) for ranks and ranges in O(log N),
//! as Redis pairs a dict with a `zskiplist`.
//!
//! Redis keeps small sets (up to 128 members of up to 64 bytes) in a
//! listpack instead. The only difference a client can see is that a
//! listpack writes scores as text through `d2string`, which prints -0 as
//! "0": ZADD z -0 m then ZSCORE z m says "0" for a small set and "-0" for a
//! big one. So the set remembers which encoding Redis would be using, and
//! stores -0 as 0 while it is "listpack", converting when Redis would.

mod range;
mod skiplist;

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;

pub use range::{LexBound, LexRange, ScoreRange};
pub use skiplist::Walk;
use skiplist::{NodeId, SkipList};

/// `zset-max-listpack-entries`' default: more members than this and Redis converts.
pub const LISTPACK_MAX_ENTRIES: usize = 128;
/// `zset-max-listpack-value`' default: a longer member and Redis converts.
pub const LISTPACK_MAX_VALUE: usize = 64;

/// The node's `zset-max-listpack-entries` and `zset-max-listpack-value`
/// when the set was last written: Redis reads them at every conversion
/// check, so a command that writes a set sets them first
/// ([`SortedSet::set_limits`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListpackLimits {
    pub entries: usize,
    pub value: usize,
}

impl Default for ListpackLimits {
    fn default() -> Self {
        ListpackLimits {
            entries: LISTPACK_MAX_ENTRIES,
            value: LISTPACK_MAX_VALUE,
        }
    }
}

/// A hasher with fixed keys: the map is only probed, never iterated for
/// output, but nothing in the engine may depend on a random seed.
type FixedHasher = BuildHasherDefault<MemberHasher>;

/// A word-at-a-time multiplicative hash (as rustc's FxHash): members are
/// short and not chosen by an attacker, and SipHash was a fifth of the
/// time of filling a million-member set.
#[derive(Default)]
pub struct MemberHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl MemberHasher {
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl std::hash::Hasher for MemberHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in chunks.by_ref() {
            let mut word = [0; 8];
            word.copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    /// The table picks buckets by the low bits, which the multiplication
    /// leaves poorly mixed: MurmurHash3's finaliser spreads every bit.
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[derive(Clone, Default)]
pub struct SortedSet {
    scores: HashMap<Box<[u8]>, f64, FixedHasher>,
    list: SkipList,
    /// Redis would hold this set as a skiplist (it never converts back).
    skiplist_encoded: bool,
    limits: ListpackLimits,
}

/// ZADD's options, as `zsetAdd` takes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddFlags {
    /// Only add new members.
    pub nx: bool,
    /// Only update existing members.
    pub xx: bool,
    /// Only update when the new score is greater.
    pub gt: bool,
    /// Only update when the new score is less.
    pub lt: bool,
    /// The score is an increment (ZINCRBY, ZADD INCR).
    pub incr: bool,
}

/// What `add` did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AddOutcome {
    /// A new member, with this score.
    Added(f64),
    /// An existing member moved to this score.
    Updated(f64),
    /// An existing member kept this score (same score, or a zero increment).
    Unchanged(f64),
    /// Nothing was done: NX on an existing member, XX on a missing one, or
    /// a GT/LT condition that did not hold.
    Skipped,
}

/// The score (or the result of an increment) was NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotANumber;

impl SortedSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// A set about to receive `len` members at once: ZRANGESTORE picks the
    /// skiplist encoding up front when that is over the listpack limit.
    pub fn with_expected_len(len: usize, limits: ListpackLimits) -> Self {
        SortedSet {
            skiplist_encoded: len > limits.entries,
            limits,
            ..Self::default()
        }
    }

    /// Uses the node's current conversion thresholds from now on.
    pub fn set_limits(&mut self, limits: ListpackLimits) {
        self.limits = limits;
    }

    /// A set held as a skiplist from the start, whatever its size: the
    /// result set ZUNIONSTORE and friends build before
    /// [`Self::convert_to_listpack_if_small`].
    pub fn new_skiplist(limits: ListpackLimits) -> Self {
        SortedSet {
            skiplist_encoded: true,
            limits,
            ..Self::default()
        }
    }

    /// Redis's `zsetConvertToListpackIfNeeded`: a skiplist small enough for
    /// a listpack becomes one, so its -0 scores become 0.
    pub fn convert_to_listpack_if_small(&mut self) {
        let limits = self.limits;
        let small = self.len() <= limits.entries
            && self.iter().all(|(member, _)| member.len() <= limits.value);
        if !self.skiplist_encoded || !small {
            return;
        }
        let mut listpack = SortedSet::new();
        listpack.limits = limits;
        for (member, score) in self.iter() {
            listpack.insert(member, score);
        }
        *self = listpack;
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding Redis would report (OBJECT ENCODING).
    pub fn encoding(&self) -> &'static str {
        if self.skiplist_encoded {
            "skiplist"
        } else {
            "listpack"
        }
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// The score as the current encoding would store it.
    fn stored(&self, score: f64) -> f64 {
        if !self.skiplist_encoded && score == 0.0 {
            0.0
        } else {
            score
        }
    }

    /// Adds or updates one member with ZADD's rules (`zsetAdd`). The score
    /// in the outcome is the one to reply with, which for a small set may
    /// be -0 although 0 is stored.
    pub fn add(
        &mut self,
        score: f64,
        member: &[u8],
        flags: AddFlags,
    ) -> Result<AddOutcome, NotANumber> {
        if score.is_nan() {
            return Err(NotANumber);
        }
        match self.scores.get(member).copied() {
            Some(current) => {
                if flags.nx {
                    return Ok(AddOutcome::Skipped);
                }
                let score = if flags.incr { score + current } else { score };
                if score.is_nan() {
                    return Err(NotANumber);
                }
                if (flags.lt && score >= current) || (flags.gt && score <= current) {
                    return Ok(AddOutcome::Skipped);
                }
                if score == current {
                    return Ok(AddOutcome::Unchanged(score));
                }
                let stored = self.stored(score);
                self.list.update_score(current, member, stored);
                if let Some(slot) = self.scores.get_mut(member) {
                    *slot = stored;
                }
                Ok(AddOutcome::Updated(score))
            }
            None if flags.xx => Ok(AddOutcome::Skipped),
            None => {
                if self.len() + 1 > self.limits.entries || member.len() > self.limits.value {
                    self.skiplist_encoded = true;
                }
                let stored = self.stored(score);
                self.list.insert(stored, member.into());
                self.scores.insert(member.into(), stored);
                Ok(AddOutcome::Added(score))
            }
        }
    }

    /// Sets a member's score (ZADD with no options). Returns true if the
    /// member is new. A NaN score is ignored.
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        matches!(
            self.add(score, member, AddFlags::default()),
            Ok(AddOutcome::Added(_))
        )
    }

    /// Removes a member; returns whether it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove(member) {
            Some(score) => {
                self.list.delete(score, member);
                true
            }
            None => false,
        }
    }

    /// 0-based rank, from the lowest score (or from the highest if `reverse`).
    pub fn rank(&self, member: &[u8], reverse: bool) -> Option<usize> {
        let score = self.score(member)?;
        let rank = self.list.rank(score, member)?;
        Some(if reverse { self.len() - rank } else { rank - 1 })
    }

    /// All members in order.
    pub fn iter(&self) -> Walk<'_> {
        self.list.walk(self.list.first(), false)
    }

    /// Members from 0-based position `start`, counted from the lowest score
    /// (or from the highest if `reverse`), in that direction.
    pub fn iter_from_rank(&self, start: usize, reverse: bool) -> Walk<'_> {
        let rank = if reverse {
            self.len().checked_sub(start)
        } else {
            start.checked_add(1)
        };
        let node = match (start, reverse) {
            (0, false) => self.list.first(),
            (0, true) => self.list.last(),
            _ => rank.and_then(|r| self.list.at_rank(r)),
        };
        self.list.walk(node, reverse)
    }

    /// Members whose score is in `range`, ascending (descending if
    /// `reverse`), after skipping `offset` of them (LIMIT's offset).
    pub fn range_by_score<'a>(
        &'a self,
        range: &'a ScoreRange,
        reverse: bool,
        offset: usize,
    ) -> impl Iterator<Item = (&'a [u8], f64)> + 'a {
        let start = if range.is_empty() {
            None
        } else if reverse {
            self.last_in_score_range(range).map(|(id, _)| id)
        } else {
            self.first_in_score_range(range).map(|(id, _)| id)
        };
        skip(self.list.walk(start, reverse), offset).take_while(move |(_, score)| {
            if reverse {
                range.above_min(*score)
            } else {
                range.below_max(*score)
            }
        })
    }

    /// Members in the lexicographic `range` (meaningful when all scores are
    /// equal, as in Redis), ascending (descending if `reverse`), after
    /// skipping `offset` of them. Like Redis, the skipped members are not
    /// checked against the range, which shows when scores differ.
    pub fn range_by_lex<'a>(
        &'a self,
        range: &'a LexRange,
        reverse: bool,
        offset: usize,
    ) -> impl Iterator<Item = (&'a [u8], f64)> + 'a {
        let start = if range.is_empty() {
            None
        } else if reverse {
            self.last_in_lex_range(range).map(|(id, _)| id)
        } else {
            self.first_in_lex_range(range).map(|(id, _)| id)
        };
        skip(self.list.walk(start, reverse), offset).take_while(move |(member, _)| {
            if reverse {
                range.above_min(member)
            } else {
                range.below_max(member)
            }
        })
    }

    /// ZCOUNT in O(log N): the difference of the ranks of the range's ends.
    pub fn count_by_score(&self, range: &ScoreRange) -> usize {
        if range.is_empty() {
            return 0;
        }
        match (
            self.first_in_score_range(range),
            self.last_in_score_range(range),
        ) {
            (Some((_, first)), Some((_, last))) if last >= first => last - first + 1,
            _ => 0,
        }
    }

    /// ZLEXCOUNT: in O(log N) from the ranks of the range's ends, or, for a
    /// small set, by walking from the first member in range, as Redis does
    /// for a listpack (the two differ only when scores differ, where Redis
    /// leaves lexicographic ranges unspecified).
    pub fn count_by_lex(&self, range: &LexRange) -> usize {
        if !self.skiplist_encoded {
            return self.range_by_lex(range, false, 0).count();
        }
        match (
            self.first_in_lex_range(range),
            self.last_in_lex_range(range),
        ) {
            (Some((_, first)), Some((_, last))) if last >= first => last - first + 1,
            _ => 0,
        }
    }

    fn first_in_score_range(&self, range: &ScoreRange) -> Option<(NodeId, usize)> {
        self.list
            .first_from(|s, _| !range.above_min(s), |s, _| range.below_max(s))
    }

    fn last_in_score_range(&self, range: &ScoreRange) -> Option<(NodeId, usize)> {
        self.list
            .last_to(|s, _| range.below_max(s), |s, _| range.above_min(s))
    }

    /// Whether the range can reach into the set at all, judged from its two
    /// ends (`zslIsInLexRange`).
    fn lex_range_overlaps(&self, range: &LexRange) -> bool {
        let first = self.list.first().map(|id| self.list.get(id).0);
        let last = self.list.last().map(|id| self.list.get(id).0);
        !range.is_empty()
            && last.is_some_and(|m| range.above_min(m))
            && first.is_some_and(|m| range.below_max(m))
    }

    /// The first member at or above the range's minimum, if it is also
    /// within the maximum: by descending the skip list, or for a small set
    /// by scanning from the start as a listpack is scanned.
    fn first_in_lex_range(&self, range: &LexRange) -> Option<(NodeId, usize)> {
        if !self.lex_range_overlaps(range) {
            return None;
        }
        if self.skiplist_encoded {
            return self
                .list
                .first_from(|_, m| !range.above_min(m), |_, m| range.below_max(m));
        }
        let mut at = self.list.first();
        let mut rank = 1;
        while let Some(id) = at {
            let member = self.list.get(id).0;
            if range.above_min(member) {
                return range.below_max(member).then_some((id, rank));
            }
            at = self.list.next(id);
            rank += 1;
        }
        None
    }

    /// The mirror image of [`Self::first_in_lex_range`].
    fn last_in_lex_range(&self, range: &LexRange) -> Option<(NodeId, usize)> {
        if !self.lex_range_overlaps(range) {
            return None;
        }
        if self.skiplist_encoded {
            return self
                .list
                .last_to(|_, m| range.below_max(m), |_, m| range.above_min(m));
        }
        let mut at = self.list.last();
        let mut rank = self.len();
        while let Some(id) = at {
            let member = self.list.get(id).0;
            if range.below_max(member) {
                return range.above_min(member).then_some((id, rank));
            }
            at = self.list.prev(id);
            rank -= 1;
        }
        None
    }

    /// ZREMRANGEBYSCORE: removes the members in `range`, returns how many.
    pub fn remove_range_by_score(&mut self, range: &ScoreRange) -> usize {
        let scores = &mut self.scores;
        self.list.delete_run(
            |s, _, _| !range.above_min(s),
            |s, _, _| range.below_max(s),
            |member, _| {
                scores.remove(&member);
            },
        )
    }

    /// ZREMRANGEBYLEX: removes the members in `range`, returns how many.
    /// Like Redis, a skiplist is cut from where the descent to the minimum
    /// lands, a listpack from the first member in range.
    pub fn remove_range_by_lex(&mut self, range: &LexRange) -> usize {
        let start_rank = if self.skiplist_encoded {
            None
        } else {
            match self.first_in_lex_range(range) {
                Some((_, rank)) => Some(rank),
                None => return 0,
            }
        };
        let scores = &mut self.scores;
        self.list.delete_run(
            |_, m, rank| match start_rank {
                Some(start) => rank < start,
                None => !range.above_min(m),
            },
            |_, m, _| range.below_max(m),
            |member, _| {
                scores.remove(&member);
            },
        )
    }

    /// ZREMRANGEBYRANK: removes 0-based positions `start..=end`.
    pub fn remove_range_by_rank(&mut self, start: usize, end: usize) -> usize {
        let scores = &mut self.scores;
        self.list.delete_run(
            |_, _, rank| rank < start + 1,
            |_, _, rank| rank <= end + 1,
            |member, _| {
                scores.remove(&member);
            },
        )
    }

    /// Removes and returns the member with the lowest score (the highest if
    /// `max`).
    pub fn pop(&mut self, max: bool) -> Option<(Vec<u8>, f64)> {
        let node = if max {
            self.list.last()
        } else {
            self.list.first()
        }?;
        let (member, score) = self.list.get(node);
        let member = member.to_vec();
        self.list.delete(score, &member);
        self.scores.remove(member.as_slice());
        Some((member, score))
    }

    #[cfg(test)]
    fn check(&self) {
        self.list.check();
        assert_eq!(self.scores.len(), self.list.len());
        for (member, score) in self.iter() {
            assert_eq!(
                self.scores.get(member).map(|s| s.to_bits()),
                Some(score.to_bits())
            );
        }
    }
}

/// Advances past `n` items without looking at them.
fn skip(mut walk: Walk<'_>, n: usize) -> Walk<'_> {
    if n > 0 {
        walk.nth(n - 1);
    }
    walk
}

impl PartialEq for SortedSet {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|((m1, s1), (m2, s2))| m1 == m2 && s1 == s2)
    }
}

impl fmt::Debug for SortedSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(m, s)| (String::from_utf8_lossy(m), s)))
            .finish()
    }
}

#[cfg(test)]
mod tests;
