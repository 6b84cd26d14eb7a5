//! A software model of the x87 80-bit `long double` Redis computes
//! INCRBYFLOAT and HINCRBYFLOAT in.
//!
//! Redis parses both operands with `strtold`, adds them in `long double`
//! (64-bit mantissa on x86-64 Linux, where the reference server runs) and
//! prints the sum with `%.17Lf` before trimming trailing zeros. An `f64`
//! cannot reproduce that: `10.5 + 0.1` is `10.6` in Redis but
//! `10.599999999999999` in f64 arithmetic, and `3000 + 10.6` prints as
//! `3010.60000000000000009` because the extra mantissa bits show through
//! 17 decimals. So this module implements the format itself: correctly
//! rounded decimal and hexadecimal parsing (as glibc's `strtold`), one
//! correctly rounded addition (round to nearest, ties to even, as the x87
//! unit does), and exact decimal printing (as glibc's `printf`). Exactness
//! comes from the small big-integer type in [`super::big`].

use std::cmp::Ordering;

use super::big::Big;

/// Exponent of the least significant mantissa bit of the smallest
/// subnormal: values are `mantissa * 2^exp` with `exp >= MIN_EXP`.
const MIN_EXP: i64 = -16445;
/// Exponent of the least significant mantissa bit of the largest finite value.
const MAX_EXP: i64 = 16320;
/// Redis's `MAX_LONG_DOUBLE_CHARS`: longer inputs are not numbers.
const MAX_CHARS: usize = 5 * 1024;

/// One x87 extended-precision value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble {
    negative: bool,
    class: Class,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Class {
    Zero,
    /// `mantissa * 2^exp`; the mantissa's top bit is set unless the value is
    /// subnormal (then `exp == MIN_EXP`).
    Finite {
        mantissa: u64,
        exp: i64,
    },
    Infinite,
    NaN,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        negative: false,
        class: Class::Zero,
    };

    /// The exact value of an integer (every i64 fits a 64-bit mantissa).
    pub fn from_i64(v: i64) -> LongDouble {
        let magnitude = Big::from_u128(u128::from(v.unsigned_abs()));
        round(v < 0, &magnitude, 0, false)
    }

    pub fn is_finite(&self) -> bool {
        matches!(self.class, Class::Zero | Class::Finite { .. })
    }

    /// Redis's `string2ld`: `strtold` over the whole input, refusing leading
    /// spaces, trailing garbage, NaN, overflow and underflow to zero, and
    /// inputs of 5 KiB or more. Infinity (`inf`, `-Infinity`) is accepted,
    /// as `strtold` returns it without an error.
    pub fn parse(bytes: &[u8]) -> Option<LongDouble> {
        if bytes.is_empty() || bytes.len() >= MAX_CHARS {
            return None;
        }
        let (negative, body) = match bytes[0] {
            b'-' => (true, &bytes[1..]),
            b'+' => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        let lower = body.to_ascii_lowercase();
        if lower == b"inf" || lower == b"infinity" {
            return Some(LongDouble {
                negative,
                class: Class::Infinite,
            });
        }
        if lower.len() > 2 && lower.starts_with(b"0x") {
            parse_hex(negative, &lower[2..])
        } else {
            parse_decimal(negative, &lower)
        }
    }

    /// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf` with trailing zeros
    /// (and a bare trailing point) removed, and `-0` printed as `0`.
    /// Infinities print as `inf`/`-inf`; callers refuse them before.
    pub fn to_human_string(&self) -> String {
        let body = match self.class {
            Class::Infinite => return if self.negative { "-inf" } else { "inf" }.into(),
            Class::NaN => return "nan".into(),
            Class::Zero => "0".to_string(),
            Class::Finite { mantissa, exp } => fixed_17(mantissa, exp),
        };
        let trimmed = if body.contains('.') {
            body.trim_end_matches('0').trim_end_matches('.')
        } else {
            &body
        };
        if trimmed == "0" || !self.negative {
            trimmed.to_string()
        } else {
            format!("-{trimmed}")
        }
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// The sum, rounded once to nearest (ties to even), as `a + b` on x87.
    fn add(self, other: LongDouble) -> LongDouble {
        use Class::*;
        match (self.class, other.class) {
            (NaN, _) | (_, NaN) => LongDouble {
                negative: false,
                class: NaN,
            },
            (Infinite, Infinite) if self.negative != other.negative => LongDouble {
                negative: true,
                class: NaN,
            },
            (Infinite, _) => self,
            (_, Infinite) => other,
            (Zero, Zero) => LongDouble {
                negative: self.negative && other.negative,
                class: Zero,
            },
            (Zero, _) => other,
            (_, Zero) => self,
            (
                Finite {
                    mantissa: ma,
                    exp: ea,
                },
                Finite {
                    mantissa: mb,
                    exp: eb,
                },
            ) => add_finite((self.negative, ma, ea), (other.negative, mb, eb)),
        }
    }
}

/// `mantissa * 2^exp` printed with exactly 17 decimals, correctly rounded
/// (ties to even, as glibc's printf in the default rounding mode).
fn fixed_17(mantissa: u64, exp: i64) -> String {
    let scaled = Big::from_u128(u128::from(mantissa)).mul(&Big::pow10(17));
    let digits = if exp >= 0 {
        scaled.shl(exp as u64)
    } else {
        let k = exp.unsigned_abs();
        let mut q = scaled.shr(k);
        let half = scaled.bit(k - 1);
        let rest = scaled.any_bits_below(k - 1);
        if half && (rest || q.bit(0)) {
            q.add_small(1);
        }
        q
    };
    let mut s = digits.to_decimal();
    if s.len() < 18 {
        s = format!("{}{}", "0".repeat(18 - s.len()), s);
    }
    let point = s.len() - 17;
    format!("{}.{}", &s[..point], &s[point..])
}

/// Rounds the exact value `m * 2^e` (plus "a little more" when `sticky`)
/// to the nearest extended value, ties to even. With `sticky` the caller
/// passes at least 66 significant bits so the extra lies below the guard bit.
fn round(negative: bool, m: &Big, e: i64, sticky: bool) -> LongDouble {
    let bits = m.bit_len() as i64;
    if bits == 0 {
        return LongDouble {
            negative,
            class: Class::Zero,
        };
    }
    let exp = (e + bits - 64).max(MIN_EXP);
    let shift = exp - e;
    let (mut mantissa, mut exp) = if shift <= 0 {
        (m.shl(shift.unsigned_abs()).low_u128() as u64, exp)
    } else {
        let shift = shift as u64;
        let mut q = m.shr(shift).low_u128() as u64;
        let half = m.bit(shift - 1);
        let rest = sticky || m.any_bits_below(shift - 1);
        let mut exp = exp;
        if half && (rest || q & 1 == 1) {
            q = match q.checked_add(1) {
                Some(v) => v,
                None => {
                    exp += 1;
                    1 << 63
                }
            };
        }
        (q, exp)
    };
    if mantissa == 0 {
        return LongDouble {
            negative,
            class: Class::Zero,
        };
    }
    if exp > MAX_EXP {
        return LongDouble {
            negative,
            class: Class::Infinite,
        };
    }
    // Keep subnormal results canonical (exp == MIN_EXP).
    while mantissa < (1 << 63) && exp > MIN_EXP {
        mantissa <<= 1;
        exp -= 1;
    }
    LongDouble {
        negative,
        class: Class::Finite { mantissa, exp },
    }
}

fn add_finite(a: (bool, u64, i64), b: (bool, u64, i64)) -> LongDouble {
    let top = |(_, m, e): (bool, u64, i64)| e + 64 - i64::from(m.leading_zeros());
    let (big, small) = match top(a).cmp(&top(b)).then(a.1.cmp(&b.1)) {
        Ordering::Less => (b, a),
        _ => (a, b),
    };
    // A normal operand swamps one that is below a quarter of its last
    // place: the exact sum rounds back to it whatever the sign.
    if top(small) <= top(big) - 66 {
        return LongDouble {
            negative: big.0,
            class: Class::Finite {
                mantissa: big.1,
                exp: big.2,
            },
        };
    }
    let base = big.2.min(small.2);
    let mb = Big::from_u128(u128::from(big.1)).shl((big.2 - base) as u64);
    let ms = Big::from_u128(u128::from(small.1)).shl((small.2 - base) as u64);
    if big.0 == small.0 {
        return round(big.0, &mb.add(&ms), base, false);
    }
    match mb.cmp(&ms) {
        Ordering::Equal => LongDouble::ZERO,
        Ordering::Greater => round(big.0, &mb.sub(&ms), base, false),
        Ordering::Less => round(small.0, &ms.sub(&mb), base, false),
    }
}

/// Reads `digits [. digits] [e [+-] digits]` (or `. digits ...`): the whole
/// input must be consumed, as Redis checks `strtold`'s end pointer.
fn parse_decimal(negative: bool, s: &[u8]) -> Option<LongDouble> {
    let mut i = 0;
    let mut mantissa = Big::zero();
    let mut significant = 0i64;
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut decimal_exp: i64 = 0;
    let mut pending = 0u32;
    let mut pending_len = 0u32;
    while i < s.len() {
        match s[i] {
            b'0'..=b'9' => {
                seen_digit = true;
                if seen_point {
                    decimal_exp -= 1;
                }
                let d = u32::from(s[i] - b'0');
                if significant > 0 || d != 0 {
                    significant += 1;
                    pending = pending * 10 + d;
                    pending_len += 1;
                    if pending_len == 9 {
                        mantissa.mul_small(1_000_000_000);
                        mantissa.add_small(pending);
                        pending = 0;
                        pending_len = 0;
                    }
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if pending_len > 0 {
        mantissa.mul_small(10u32.pow(pending_len));
        mantissa.add_small(pending);
    }
    if i < s.len() {
        if s[i] != b'e' {
            return None;
        }
        decimal_exp = decimal_exp.saturating_add(parse_exponent(&s[i + 1..])?);
    }
    if mantissa.is_zero() {
        return Some(LongDouble {
            negative,
            class: Class::Zero,
        });
    }
    // The value lies in [10^(magnitude-1), 10^magnitude): far outside the
    // format it is plainly an overflow or an underflow to zero.
    let magnitude = decimal_exp.saturating_add(significant);
    if !(-4952..=4934).contains(&magnitude) {
        return None;
    }
    if decimal_exp >= 0 {
        let exact = mantissa.mul(&Big::pow10(decimal_exp as u64));
        return in_range(round(negative, &exact, 0, false));
    }
    // value = mantissa / 10^k: take 66+ quotient bits and a sticky remainder.
    let denominator = Big::pow10(decimal_exp.unsigned_abs());
    let s_shift = denominator.bit_len() as i64 - mantissa.bit_len() as i64 + 66;
    let (mut num, mut den) = if s_shift >= 0 {
        (mantissa.shl(s_shift as u64), denominator)
    } else {
        (mantissa, denominator.shl(s_shift.unsigned_abs()))
    };
    let mut quotient: u128 = 0;
    den = den.shl(68);
    for bit in (0..=68).rev() {
        if num >= den {
            num = num.sub(&den);
            quotient |= 1 << bit;
        }
        den = den.shr(1);
    }
    in_range(round(
        negative,
        &Big::from_u128(quotient),
        -s_shift,
        !num.is_zero(),
    ))
}

/// `strtold` reports ERANGE, and Redis refuses the number, when a nonzero
/// input overflows to infinity or underflows to zero.
fn in_range(value: LongDouble) -> Option<LongDouble> {
    match value.class {
        Class::Finite { .. } => Some(value),
        _ => None,
    }
}

/// Reads C99 hexadecimal floating point after the `0x`:
/// `hexdigits [. hexdigits] [p [+-] digits]`.
fn parse_hex(negative: bool, s: &[u8]) -> Option<LongDouble> {
    let mut i = 0;
    let mut mantissa = Big::zero();
    let mut seen_digit = false;
    let mut seen_point = false;
    let mut binary_exp: i64 = 0;
    while i < s.len() {
        let c = s[i];
        match c {
            b'0'..=b'9' | b'a'..=b'f' => {
                seen_digit = true;
                let d = (c as char).to_digit(16).unwrap_or(0);
                mantissa = mantissa.shl(4);
                mantissa.add_small(d);
                if seen_point {
                    binary_exp -= 4;
                }
            }
            b'.' if !seen_point => seen_point = true,
            _ => break,
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    if i < s.len() {
        if s[i] != b'p' {
            return None;
        }
        binary_exp = binary_exp.saturating_add(parse_exponent(&s[i + 1..])?);
    }
    if mantissa.is_zero() {
        return Some(LongDouble {
            negative,
            class: Class::Zero,
        });
    }
    let top = binary_exp.saturating_add(mantissa.bit_len() as i64);
    if !(MIN_EXP - 2..=MAX_EXP + 66).contains(&top) {
        return None;
    }
    in_range(round(negative, &mantissa, binary_exp, false))
}

/// `[+-] digits`, saturating (a huge exponent just means overflow/underflow).
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |acc, &d| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(d - b'0'))
            .min(1 << 40)
    });
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> String {
        let x = LongDouble::parse(a.as_bytes()).unwrap_or(LongDouble::ZERO);
        let y = LongDouble::parse(b.as_bytes()).unwrap_or(LongDouble::ZERO);
        (x + y).to_human_string()
    }

    #[test]
    fn sums_as_redis_prints_them() {
        assert_eq!(incr("10.5", "0.1"), "10.6");
        assert_eq!(incr("10.6", "3.0e3"), "3010.60000000000000009");
        assert_eq!(
            incr("3010.60000000000000009", "-5.0e3"),
            "-1989.39999999999999991"
        );
        assert_eq!(incr("0", "1e30"), "1000000000000000000024696061952");
        assert_eq!(incr("0", "1.23456789012345678901"), "1.23456789012345679");
        assert_eq!(incr("1.23456789012345679", "-1.23456789012345678901"), "0");
        assert_eq!(incr("2.5", "0x10"), "18.5");
    }

    #[test]
    fn strtold_rules() {
        for bad in [
            "", " 1", "1 ", "nan", "-nan", "1e", "1e+", ".", "0x", "0x1p", "1e5000", "1e-5000",
            "abc",
        ] {
            assert_eq!(LongDouble::parse(bad.as_bytes()), None, "{bad:?}");
        }
        for good in [
            "inf",
            "-Infinity",
            ".5",
            "5.",
            "+1",
            "0e99999",
            "1e-4940",
            "0x.8p1",
            "-0",
        ] {
            assert!(LongDouble::parse(good.as_bytes()).is_some(), "{good:?}");
        }
        let long = "1".repeat(MAX_CHARS);
        assert_eq!(LongDouble::parse(long.as_bytes()), None);
    }

    #[test]
    fn negative_zero_prints_as_zero() {
        assert_eq!(incr("-0", "-0"), "0");
        assert_eq!(incr("0", "-1e-30"), "0");
    }
}
