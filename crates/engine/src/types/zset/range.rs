//! Score and lexicographic ranges as ZRANGEBYSCORE, ZCOUNT, ZRANGEBYLEX and
//! friends parse them (`zslParseRange`, `zslParseLexRange`).

use std::cmp::Ordering;

use crate::numbers::strtod;

/// `min`..`max` over scores, each end inclusive unless marked exclusive
/// with a leading `(`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_exclusive: bool,
    pub max_exclusive: bool,
}

impl ScoreRange {
    /// Parses two bounds the way `zslParseRange` does: `strtod` over the C
    /// string, so leading white space, hex, `inf` and even the empty string
    /// (zero) are accepted, and text after an embedded NUL is ignored; NaN
    /// is refused. None means `ERR min or max is not a float`.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, min_exclusive) = parse_score_bound(min)?;
        let (max, max_exclusive) = parse_score_bound(max)?;
        Some(ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        })
    }

    pub fn above_min(&self, score: f64) -> bool {
        if self.min_exclusive {
            score > self.min
        } else {
            score >= self.min
        }
    }

    pub fn below_max(&self, score: f64) -> bool {
        if self.max_exclusive {
            score < self.max
        } else {
            score <= self.max
        }
    }

    /// Ranges that can hold nothing whatever the set (`zslIsInRange`).
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_exclusive || self.max_exclusive))
    }
}

fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    let (text, exclusive) = match arg.split_first() {
        Some((b'(', rest)) => (rest, true),
        _ => (arg, false),
    };
    let c_string = match text.iter().position(|&b| b == 0) {
        Some(nul) => &text[..nul],
        None => text,
    };
    let parsed = strtod(c_string);
    if parsed.len != c_string.len() || parsed.value.is_nan() {
        return None;
    }
    Some((parsed.value, exclusive))
}

/// One end of a lexicographic range: `-`, `+`, or a member.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LexBound {
    /// `-`: before every string.
    Min,
    Member(Vec<u8>),
    /// `+`: after every string.
    Max,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
    pub min_exclusive: bool,
    pub max_exclusive: bool,
}

impl LexRange {
    /// Parses `[member`, `(member`, `-` and `+` (`zslParseLexRange`). None
    /// means `ERR min or max not valid string range item`.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        let (min, min_exclusive) = parse_lex_bound(min)?;
        let (max, max_exclusive) = parse_lex_bound(max)?;
        Some(LexRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        })
    }

    pub fn above_min(&self, member: &[u8]) -> bool {
        match compare_to_bound(member, &self.min) {
            Ordering::Greater => true,
            Ordering::Equal => !self.min_exclusive,
            Ordering::Less => false,
        }
    }

    pub fn below_max(&self, member: &[u8]) -> bool {
        match compare_to_bound(member, &self.max) {
            Ordering::Less => true,
            Ordering::Equal => !self.max_exclusive,
            Ordering::Greater => false,
        }
    }

    /// Ranges that can hold nothing whatever the set (`zslIsInLexRange`);
    /// `-` and `+` count as exclusive, so `- -` is empty.
    pub fn is_empty(&self) -> bool {
        match self.min.cmp(&self.max) {
            Ordering::Greater => true,
            Ordering::Equal => self.min_exclusive || self.max_exclusive,
            Ordering::Less => false,
        }
    }
}

fn parse_lex_bound(arg: &[u8]) -> Option<(LexBound, bool)> {
    match arg.split_first() {
        Some((b'+', [])) => Some((LexBound::Max, true)),
        Some((b'-', [])) => Some((LexBound::Min, true)),
        Some((b'(', rest)) => Some((LexBound::Member(rest.to_vec()), true)),
        Some((b'[', rest)) => Some((LexBound::Member(rest.to_vec()), false)),
        _ => None,
    }
}

fn compare_to_bound(member: &[u8], bound: &LexBound) -> Ordering {
    match bound {
        LexBound::Min => Ordering::Greater,
        LexBound::Max => Ordering::Less,
        LexBound::Member(m) => member.cmp(m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_bounds_follow_strtod() {
        let r = ScoreRange::parse(b"(1.5", b"+inf").unwrap_or_else(|| panic!("valid"));
        assert!(r.min_exclusive && !r.max_exclusive);
        assert!(!r.above_min(1.5) && r.above_min(1.6) && r.below_max(f64::INFINITY));
        assert_eq!(
            ScoreRange::parse(b"", b" 2").map(|r| (r.min, r.max)),
            Some((0.0, 2.0))
        );
        assert_eq!(
            ScoreRange::parse(b"(", b"0x10").map(|r| (r.min, r.max)),
            Some((0.0, 16.0))
        );
        assert_eq!(
            ScoreRange::parse(b"1\x00junk", b"2").map(|r| r.min),
            Some(1.0)
        );
        assert_eq!(
            ScoreRange::parse(b"1e999", b"2").map(|r| r.min),
            Some(f64::INFINITY)
        );
        assert!(ScoreRange::parse(b"nan", b"1").is_none());
        assert!(ScoreRange::parse(b"1 ", b"2").is_none());
        assert!(ScoreRange::parse(b"((1", b"2").is_none());
    }

    #[test]
    fn lex_bounds() {
        assert!(LexRange::parse(b"a", b"+").is_none());
        assert!(LexRange::parse(b"-a", b"+").is_none());
        assert!(LexRange::parse(b"", b"+").is_none());
        let r = LexRange::parse(b"(a", b"[c").unwrap_or_else(|| panic!("valid"));
        assert!(
            !r.above_min(b"a") && r.above_min(b"aa") && r.below_max(b"c") && !r.below_max(b"ca")
        );
        assert!(LexRange::parse(b"-", b"-").is_some_and(|r| r.is_empty()));
        assert!(LexRange::parse(b"[", b"[").is_some_and(|r| !r.is_empty()));
        assert!(LexRange::parse(b"[b", b"[a").is_some_and(|r| r.is_empty()));
    }
}
