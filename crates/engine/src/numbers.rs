//! Number parsing and printing with Redis's exact rules (`string2ll`,
//! `string2ld`, `string2d`, `%.17g`), so that replies and errors match byte
//! for byte.
//!
//! The C library conversions underneath (glibc's `strtod` and `printf`'s
//! `%g`) are [`lockstep_lua::cnum`]'s, re-exported here: Lua's libraries
//! need the very same ones, and the `lua` crate is the one both can reach.

mod long_double;
mod string2d;

pub use lockstep_lua::cnum::{format_g, strtod, Strtod};
pub use long_double::LongDouble;
pub use string2d::parse_f64;

/// Parses a signed 64-bit integer the way Redis's `string2ll` does: no
/// leading `+`, no spaces, no leading zeros (except "0" itself), no overflow.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    let (negative, digits) = match bytes[0] {
        b'-' => (true, &bytes[1..]),
        _ => (false, bytes),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut value: u64 = 0;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    if negative {
        if value > i64::MAX as u64 + 1 {
            None
        } else {
            Some((value as i64).wrapping_neg())
        }
    } else {
        i64::try_from(value).ok()
    }
}

/// How Redis 7.0 prints a double reply (`addReplyDouble`): `%.17g`, with
/// infinities spelled `inf`/`-inf`.
pub fn format_double_reply(d: f64) -> String {
    format_g(d, 17)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2ll_rules() {
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        assert_eq!(parse_i64(b"+1"), None);
        assert_eq!(parse_i64(b"01"), None);
        assert_eq!(parse_i64(b" 1"), None);
        assert_eq!(parse_i64(b"-0"), None);
        assert_eq!(parse_i64(b""), None);
    }

    #[test]
    fn double_replies_are_percent_17g() {
        assert_eq!(format_double_reply(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_double_reply(2500.0), "2500");
        assert_eq!(format_double_reply(f64::NEG_INFINITY), "-inf");
    }
}
