//! Number parsing and printing with Redis's exact rules (`string2ll`,
//! `string2ld`, `%.17g`), so that replies and errors match byte for byte.

mod long_double;
mod strtod;

pub use long_double::LongDouble;
pub use strtod::{parse_f64, strtod, Strtod};

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

/// Formats like C's `printf("%.*g", precision, d)` (glibc output).
pub fn format_g(d: f64, precision: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    let precision = precision.max(1);
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let sci = format!("{:.*e}", precision - 1, d);
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if exponent < -4 || exponent >= precision as i32 {
        let mantissa = trim_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (precision as i32 - 1 - exponent).max(0) as usize;
        trim_fraction_zeros(&format!("{:.*}", decimals, d)).to_string()
    }
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
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
    fn percent_g_matches_glibc() {
        assert_eq!(format_g(0.1 + 0.2, 17), "0.30000000000000004");
        assert_eq!(format_g(1.5, 17), "1.5");
        assert_eq!(format_g(2500.0, 17), "2500");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(format_g(1.0e-5, 17), "1.0000000000000001e-05");
        assert_eq!(format_g(0.0001, 14), "0.0001");
        assert_eq!(format_g(f64::NEG_INFINITY, 17), "-inf");
    }
}
