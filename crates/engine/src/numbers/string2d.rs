//! Redis's `string2d`: a command argument that must be a double as a whole.
//!
//! It is built on C's `strtod` (one implementation, shared with Lua's
//! libraries: [`lockstep_lua::cnum::strtod`]) and adds Redis's rules on
//! top: the whole argument, no leading space, no NaN, no `ERANGE`.

use lockstep_lua::cnum::{is_c_space, strtod};

/// Redis's `string2d`: the whole string must be a number, with no leading
/// space, not NaN, and neither overflowing nor underflowing to zero. Used
/// for ZADD and ZINCRBY scores (`ERR value is not a valid float`).
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || is_c_space(s[0]) {
        return None;
    }
    let r = strtod(s);
    if r.len != s.len() || r.range_error || r.value.is_nan() {
        return None;
    }
    Some(r.value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string2d_rules() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e-310"), Some(1e-310));
        assert_eq!(parse_f64(b"0e-999"), Some(0.0));
        assert_eq!(parse_f64(b"1e400"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        assert_eq!(parse_f64(b" 1"), None);
        assert_eq!(parse_f64(b"1 "), None);
        assert_eq!(parse_f64(b""), None);
        assert_eq!(parse_f64(b"nan"), None);
        assert_eq!(parse_f64(b"1\x002"), None);
    }
}
