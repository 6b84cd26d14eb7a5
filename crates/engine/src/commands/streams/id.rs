//! Parsing stream IDs as Redis does (`streamGenericParseIDOrReply`).
//!
//! An ID is `<ms>-<seq>` or just `<ms>`; `-` and `+` stand for the smallest
//! and largest IDs where a range is expected. Each part is read with
//! Redis's `string2ull`, which falls back to C's `strtoull`: leading spaces,
//! a `+` sign and leading zeros are accepted, and so is a negative number
//! written in a form `string2ll` rejects (` -1` reads as 2^64-1). The text
//! is handled as a C string, so it ends at a NUL byte.

use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::types::stream::StreamId;

pub fn invalid_id() -> Reply {
    Reply::error("ERR Invalid stream ID specified as stream command argument")
}

/// The text up to the first NUL byte, as C string functions see it.
pub fn c_str(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

/// Parses an ID; `missing_seq` fills in an absent sequence part. `-` and
/// `+` are accepted (for range bounds).
pub fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    parse(arg, missing_seq, false, false)
        .map(|(id, _)| id)
        .ok_or_else(invalid_id)
}

/// Parses an ID where `-` and `+` make no sense (XADD, XDEL, XACK, ...).
pub fn parse_strict_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, Reply> {
    try_parse_strict_id(arg, missing_seq).ok_or_else(invalid_id)
}

pub fn try_parse_strict_id(arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    parse(arg, missing_seq, true, false).map(|(id, _)| id)
}

/// Parses XADD's explicit ID, which may be `<ms>-*`: returns the ID and
/// whether the sequence was given.
pub fn parse_xadd_id(arg: &[u8]) -> Result<(StreamId, bool), Reply> {
    parse(arg, 0, true, true).ok_or_else(invalid_id)
}

/// Parses a range bound that may be exclusive (`(1-1`): returns the ID and
/// whether it was exclusive. Exclusive bounds must be real IDs.
pub fn parse_interval(arg: &[u8], missing_seq: u64) -> Result<(StreamId, bool), Reply> {
    if arg.len() > 1 && arg[0] == b'(' {
        return parse_strict_id(&arg[1..], missing_seq).map(|id| (id, true));
    }
    parse_id(arg, missing_seq).map(|id| (id, false))
}

fn parse(arg: &[u8], missing_seq: u64, strict: bool, seq_star: bool) -> Option<(StreamId, bool)> {
    // Redis copies the argument into a 128-byte buffer first.
    if arg.len() > 127 {
        return None;
    }
    let text = c_str(arg);
    if strict && (text == b"-" || text == b"+") {
        return None;
    }
    match text {
        b"-" => return Some((StreamId::MIN, true)),
        b"+" => return Some((StreamId::MAX, true)),
        _ => {}
    }
    let (ms_part, seq_part) = match text.iter().position(|&b| b == b'-') {
        Some(dash) => (&text[..dash], Some(&text[dash + 1..])),
        None => (text, None),
    };
    let ms = string2ull(ms_part)?;
    let (seq, seq_given) = match seq_part {
        Some(b"*") if seq_star => (0, false),
        Some(part) => (string2ull(part)?, true),
        None => (missing_seq, true),
    };
    Some((StreamId::new(ms, seq), seq_given))
}

/// Redis's `string2ull`: `string2ll` when it can (refusing negatives),
/// otherwise glibc's `strtoull` over the whole text.
fn string2ull(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64(s) {
        return u64::try_from(v).ok();
    }
    let mut i = 0;
    while i < s.len() && lockstep_lua::cnum::is_c_space(s[i]) {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Option<StreamId> {
        parse_id(s.as_bytes(), 0).ok()
    }

    #[test]
    fn full_and_partial_ids() {
        assert_eq!(id("5-3"), Some(StreamId::new(5, 3)));
        assert_eq!(parse_id(b"5", u64::MAX), Ok(StreamId::new(5, u64::MAX)));
        assert_eq!(id("-"), Some(StreamId::MIN));
        assert_eq!(id("+"), Some(StreamId::MAX));
        assert_eq!(parse_strict_id(b"+", 0), Err(invalid_id()));
        assert_eq!(
            id("18446744073709551615-18446744073709551615"),
            Some(StreamId::MAX)
        );
        assert_eq!(id("18446744073709551616-0"), None);
    }

    #[test]
    fn strtoull_leniency() {
        assert_eq!(id("007-01"), Some(StreamId::new(7, 1)));
        assert_eq!(id(" 1-+2"), Some(StreamId::new(1, 2)));
        assert_eq!(id("1- -1"), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(id("1--1"), None);
        assert_eq!(id("1--0"), Some(StreamId::new(1, 0)));
        assert_eq!(id("1-"), None);
        assert_eq!(id("-1"), None);
        assert_eq!(id("a-1"), None);
        assert_eq!(id(""), None);
        assert_eq!(id("1-2-3"), None);
        assert_eq!(parse_id(b"3\0junk", 0), Ok(StreamId::new(3, 0)));
    }

    #[test]
    fn xadd_sequence_star_and_intervals() {
        assert_eq!(parse_xadd_id(b"5-*"), Ok((StreamId::new(5, 0), false)));
        assert_eq!(parse_xadd_id(b"5-3"), Ok((StreamId::new(5, 3), true)));
        assert_eq!(parse_id(b"5-*", 0), Err(invalid_id()));
        assert_eq!(parse_interval(b"(5-3", 0), Ok((StreamId::new(5, 3), true)));
        assert_eq!(parse_interval(b"(", 0), Err(invalid_id()));
        assert_eq!(parse_interval(b"(-", 0), Err(invalid_id()));
    }
}
