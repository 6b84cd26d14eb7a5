//! C's `strtod` as glibc implements it, which cjson's decoder reads numbers
//! with (by default it accepts what strtod accepts: `0x10`, `-inf`, `nan`).
//!
//! Where it stops matters as much as the value: leading white space, an
//! optional sign, `inf`/`infinity`/`nan(...)` in any case, decimal and
//! hexadecimal (`0x1.8p3`) forms, and the longest valid prefix. Decimal text
//! is converted by the standard library (correctly rounded, as glibc is);
//! hexadecimal text is rounded here, to nearest with ties to even. `-nan` is
//! a NaN with the sign bit set, as glibc returns it (Lua prints it `-nan`);
//! a `nan(...)` payload is skipped but not stored in the NaN.
//!
//! The engine reads sorted-set scores with it too (Redis hands those
//! arguments straight to `strtod`, and its `string2d` is built on where
//! `strtod` stops and whether it reports `ERANGE`).

/// What `strtod` returned for a string.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strtod {
    pub value: f64,
    /// Bytes consumed (`endptr - str`); 0 when no number was found.
    pub len: usize,
    /// `errno == ERANGE`: the result overflowed to an infinity or
    /// underflowed to zero (cjson ignores it; Redis's `string2d` rejects it).
    pub range_error: bool,
}

/// `strtod(s, &end)` on the C string `s`. A NUL byte is never part of a
/// number, so parsing stops there as it would in C; nothing past the number
/// is looked at (a decoder calls this for every number of a long text).
pub fn strtod(s: &[u8]) -> Strtod {
    let nothing = Strtod {
        value: 0.0,
        len: 0,
        range_error: false,
    };
    let mut i = 0;
    while i < s.len() && is_c_space(s[i]) {
        i += 1;
    }
    let negative = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let sign = if negative { -1.0 } else { 1.0 };
    let rest = &s[i..];
    if starts_with_ignore_case(rest, b"inf") {
        let len = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        return Strtod {
            value: sign * f64::INFINITY,
            len: i + len,
            range_error: false,
        };
    }
    if starts_with_ignore_case(rest, b"nan") {
        return Strtod {
            value: if negative { -f64::NAN } else { f64::NAN },
            len: i + 3 + nan_payload_len(&rest[3..]),
            range_error: false,
        };
    }
    let parsed = if rest.len() > 1 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        // "0x" with no hex digit after it is the number 0 followed by "x".
        hex(&rest[2..]).map(|(len, value, range_error)| (len + 2, value, range_error))
    } else {
        None
    };
    let parsed = parsed.or_else(|| decimal(rest));
    match parsed {
        Some((len, value, range_error)) => Strtod {
            value: sign * value,
            len: i + len,
            range_error,
        },
        None => nothing,
    }
}

/// C's `isspace` in the "C" locale (space, `\t`, `\n`, `\v`, `\f`, `\r`):
/// the white space `strtod` skips.
pub fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn starts_with_ignore_case(s: &[u8], prefix: &[u8]) -> bool {
    s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `nan(chars)` consumes the parenthesised part only when it is closed.
fn nan_payload_len(s: &[u8]) -> usize {
    if s.first() != Some(&b'(') {
        return 0;
    }
    let inner = s[1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    if s.get(1 + inner) == Some(&b')') {
        inner + 2
    } else {
        0
    }
}

/// Digits, an optional fraction and an optional exponent (consumed only if
/// it has digits). Returns (length, magnitude, range error).
fn decimal(s: &[u8]) -> Option<(usize, f64, bool)> {
    let int_digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut i = int_digits;
    let mut frac_digits = 0;
    if s.get(i) == Some(&b'.') {
        frac_digits = s[i + 1..].iter().take_while(|b| b.is_ascii_digit()).count();
        if int_digits + frac_digits > 0 {
            i += 1 + frac_digits;
        }
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    let mantissa_end = i;
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = s[j..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits > 0 {
            i = j + exp_digits;
        }
    }
    let text = std::str::from_utf8(&s[..i]).ok()?;
    let value: f64 = text.parse().ok()?;
    let nonzero_mantissa = s[..mantissa_end].iter().any(|b| (b'1'..=b'9').contains(b));
    let range_error = value.is_infinite() || (value == 0.0 && nonzero_mantissa);
    Some((i, value, range_error))
}

/// The part after "0x": hex digits with an optional fraction and an
/// optional binary exponent `p[+-]digits`. None if there is no hex digit.
fn hex(s: &[u8]) -> Option<(usize, f64, bool)> {
    let mut mantissa: u64 = 0;
    // Any nonzero bits that did not fit in `mantissa`.
    let mut sticky = false;
    // value = mantissa * 2^exp2 (before the explicit exponent).
    let mut exp2: i64 = 0;
    let mut digits = 0;
    let mut i = 0;
    let mut seen_point = false;
    while i < s.len() {
        let b = s[i];
        if b == b'.' && !seen_point {
            seen_point = true;
            i += 1;
            continue;
        }
        let Some(d) = (b as char).to_digit(16) else {
            break;
        };
        digits += 1;
        if mantissa >> 60 == 0 {
            mantissa = mantissa << 4 | u64::from(d);
            if seen_point {
                exp2 -= 4;
            }
        } else {
            sticky |= d != 0;
            if !seen_point {
                exp2 += 4;
            }
        }
        i += 1;
    }
    if digits == 0 {
        return None;
    }
    if matches!(s.get(i), Some(b'p' | b'P')) {
        let mut j = i + 1;
        let negative = s.get(j) == Some(&b'-');
        if matches!(s.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        let exp_digits = s[j..].iter().take_while(|b| b.is_ascii_digit()).count();
        if exp_digits > 0 {
            // Saturate: anything this large is already past every limit.
            let mut e: i64 = 0;
            for &b in &s[j..j + exp_digits] {
                e = (e * 10 + i64::from(b - b'0')).min(1 << 40);
            }
            exp2 += if negative { -e } else { e };
            i = j + exp_digits;
        }
    }
    let (value, range_error) = compose_binary(mantissa, sticky, exp2);
    Some((i, value, range_error))
}

/// Rounds `(mantissa + sticky) * 2^exp2` to the nearest double, ties to even.
fn compose_binary(mantissa: u64, sticky: bool, exp2: i64) -> (f64, bool) {
    if mantissa == 0 {
        return (0.0, false);
    }
    let bits = i64::from(64 - mantissa.leading_zeros());
    // Exponent of the leading bit.
    let top = exp2 + bits - 1;
    if top > 1023 {
        return (f64::INFINITY, true);
    }
    // Significant bits a double has at this magnitude (fewer when subnormal).
    let precision = if top >= -1022 { 53 } else { top + 1075 };
    let drop = bits - precision;
    // Sticky bits only exist past 60 significant bits, so `drop > 0` then.
    let (kept, scale) = if drop <= 0 {
        (mantissa, exp2)
    } else if drop > 64 {
        (0, exp2 + drop)
    } else {
        let kept = if drop == 64 { 0 } else { mantissa >> drop };
        let rest = if drop == 64 {
            mantissa
        } else {
            mantissa & ((1u64 << drop) - 1)
        };
        let half = 1u64 << (drop - 1);
        let round_up = rest > half || (rest == half && (sticky || kept & 1 == 1));
        (kept + u64::from(round_up), exp2 + drop)
    };
    if kept == 0 {
        return (0.0, true);
    }
    let value = scale_by_power_of_two(kept as f64, scale);
    (value, value.is_infinite())
}

/// `x * 2^k` for `x` below 2^54 and `-1074 <= k <= 1023`: exact whenever
/// the result is representable (it overflows to infinity otherwise).
fn scale_by_power_of_two(x: f64, k: i64) -> f64 {
    let pow2 = |e: i64| f64::from_bits(((e + 1023) as u64) << 52);
    if k >= -1022 {
        x * pow2(k)
    } else {
        // Two steps, both exact: the first stays normal, the second lands on
        // a representable subnormal.
        x * pow2(k + 1022) * pow2(-1022)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumed(s: &str) -> (f64, usize) {
        let r = strtod(s.as_bytes());
        (r.value, r.len)
    }

    #[test]
    fn prefixes_like_glibc() {
        assert_eq!(consumed("2.5e3"), (2500.0, 5));
        assert_eq!(consumed("  -1.5xyz"), (-1.5, 6));
        assert_eq!(consumed("1e"), (1.0, 1));
        assert_eq!(consumed("1e+"), (1.0, 1));
        assert_eq!(consumed(".5"), (0.5, 2));
        assert_eq!(consumed("5."), (5.0, 2));
        assert_eq!(consumed("."), (0.0, 0));
        assert_eq!(consumed(""), (0.0, 0));
        assert_eq!(consumed("   "), (0.0, 0));
        assert_eq!(consumed("-"), (0.0, 0));
        assert_eq!(consumed("0x"), (0.0, 1));
        assert_eq!(consumed("0x10"), (16.0, 4));
        assert_eq!(consumed("0x1p-2"), (0.25, 6));
        assert_eq!(consumed("0X.8P1"), (1.0, 6));
        assert_eq!(consumed("-Infinity"), (f64::NEG_INFINITY, 9));
        assert_eq!(consumed("infinit"), (f64::INFINITY, 3));
        assert_eq!(consumed("1\u{0}2"), (1.0, 1));
        assert_eq!(strtod(b"nan(12ab)").len, 9);
        assert_eq!(strtod(b"nan(12").len, 3);
    }

    #[test]
    fn hex_rounds_to_nearest_even() {
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2: even wins.
        assert_eq!(strtod(b"0x20000000000001").value, 9007199254740992.0);
        assert_eq!(strtod(b"0x20000000000003").value, 9007199254740996.0);
        assert_eq!(strtod(b"0x1p-1074").value, f64::from_bits(1));
        assert_eq!(
            strtod(b"0x1p-1075"),
            Strtod {
                value: 0.0,
                len: 9,
                range_error: true
            }
        );
        assert_eq!(strtod(b"0x1.8p-1075").value, f64::from_bits(1));
        assert_eq!(strtod(b"0x1.fffffffffffffp1023").value, f64::MAX);
        assert!(strtod(b"0x1p1024").range_error);
        assert_eq!(
            strtod(b"0x123456789abcdef0123p0").value,
            0x123456789abcdef0123u128 as f64
        );
    }
}
