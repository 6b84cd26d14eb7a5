//! The x87 80-bit `long double` that Redis's INCRBYFLOAT and HINCRBYFLOAT
//! compute in, emulated exactly.
//!
//! Redis parses both operands with `strtold`, adds them in extended
//! precision (a 64-bit significand) and prints the sum with `%.17Lf`,
//! trimming trailing zeros. An `f64` gets visibly different answers
//! (`10.5 + 0.1` must print `10.6`, not `10.59999999999999964`), and Rust
//! has no `long double`, so this module does the arithmetic on exact
//! integers and rounds once, to nearest-even, as the FPU and glibc do.

use std::cmp::Ordering;

mod big;

use big::BigUint;

/// Exponent of the leading bit of the largest finite value (2^16383 ≤ max < 2^16384).
const MAX_EXPONENT: i64 = 16383;
/// Weight of the significand's lowest bit for subnormals (2^-16445).
const MIN_QUANTUM: i64 = -16445;
/// Significand bits, the integer bit included.
const SIGNIFICAND_BITS: i64 = 64;
/// `MAX_LONG_DOUBLE_CHARS`: Redis refuses longer numeric strings.
const MAX_CHARS: usize = 5 * 1024;

/// An x87 extended-precision value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble {
    negative: bool,
    magnitude: Magnitude,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Magnitude {
    Zero,
    /// `significand × 2^exponent`, with `significand` below 2^64.
    Finite {
        significand: u64,
        exponent: i64,
    },
    Infinite,
}

/// The outcome of rounding an exact value to extended precision.
enum Rounded {
    Value(Magnitude),
    /// Too large: `strtold` would give ±HUGE_VALL with ERANGE.
    Overflow,
    /// Nonzero but rounds to zero: ERANGE with a zero result.
    Underflow,
}

impl LongDouble {
    pub const ZERO: LongDouble = LongDouble {
        negative: false,
        magnitude: Magnitude::Zero,
    };

    /// Parses like Redis's `string2ld`: the whole string must be what
    /// `strtold` reads (decimal, `0x` hexadecimal, `inf`/`infinity`), with no
    /// leading space; NaN, overflow and underflow to zero are refused.
    pub fn parse(bytes: &[u8]) -> Option<LongDouble> {
        if bytes.is_empty() || bytes.len() >= MAX_CHARS {
            return None;
        }
        let (negative, body) = match bytes[0] {
            b'-' => (true, &bytes[1..]),
            b'+' => (false, &bytes[1..]),
            _ => (false, bytes),
        };
        let magnitude =
            if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
                Magnitude::Infinite
            } else if body.len() > 2 && body[0] == b'0' && (body[1] | 0x20) == b'x' {
                match parse_hex(&body[2..])? {
                    Rounded::Value(m) => m,
                    Rounded::Overflow | Rounded::Underflow => return None,
                }
            } else {
                match parse_decimal(body)? {
                    Rounded::Value(m) => m,
                    Rounded::Overflow | Rounded::Underflow => return None,
                }
            };
        Some(LongDouble {
            negative,
            magnitude,
        })
    }

    pub fn is_finite(&self) -> bool {
        !matches!(self.magnitude, Magnitude::Infinite)
    }

    /// Redis's `ld2string(..., LD_STR_HUMAN)`: `%.17Lf` with trailing zeros
    /// (and a bare trailing point) removed, and `-0` printed as `0`.
    pub fn to_human_string(&self) -> String {
        let digits = match self.magnitude {
            Magnitude::Infinite => return if self.negative { "-inf" } else { "inf" }.into(),
            Magnitude::Zero => "0".to_string(),
            Magnitude::Finite {
                significand,
                exponent,
            } => scaled_decimal_digits(significand, exponent),
        };
        // `digits` is the value times 10^17, rounded: put the point back.
        let padded = format!("{digits:0>18}");
        let (int_part, frac_part) = padded.split_at(padded.len() - 17);
        let frac_part = frac_part.trim_end_matches('0');
        let mut out = String::with_capacity(padded.len() + 2);
        if self.negative {
            out.push('-');
        }
        out.push_str(int_part);
        if !frac_part.is_empty() {
            out.push('.');
            out.push_str(frac_part);
        }
        if out == "-0" {
            out = "0".into();
        }
        out
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// The correctly rounded sum, as the x87 `fadd` in extended precision.
    fn add(self, other: LongDouble) -> LongDouble {
        use Magnitude::*;
        match (self.magnitude, other.magnitude) {
            (Infinite, Infinite) if self.negative != other.negative => {
                // NaN; callers reject non-finite results, so any non-finite will do.
                LongDouble {
                    negative: false,
                    magnitude: Infinite,
                }
            }
            (Infinite, _) => self,
            (_, Infinite) => other,
            (Zero, Zero) => LongDouble {
                negative: self.negative && other.negative,
                magnitude: Zero,
            },
            (Zero, _) => other,
            (_, Zero) => self,
            (
                Finite {
                    significand: a,
                    exponent: ea,
                },
                Finite {
                    significand: b,
                    exponent: eb,
                },
            ) => {
                let base = ea.min(eb);
                let mut x = BigUint::from_u128(u128::from(a));
                x.shl(to_shift(ea - base));
                let mut y = BigUint::from_u128(u128::from(b));
                y.shl(to_shift(eb - base));
                let (negative, sum) = if self.negative == other.negative {
                    x.add(&y);
                    (self.negative, x)
                } else {
                    match x.cmp(&y) {
                        Ordering::Equal => return LongDouble::ZERO,
                        Ordering::Greater => {
                            x.sub(&y);
                            (self.negative, x)
                        }
                        Ordering::Less => {
                            y.sub(&x);
                            (other.negative, y)
                        }
                    }
                };
                let magnitude = match round(&sum, base) {
                    Rounded::Value(m) => m,
                    Rounded::Overflow => Infinite,
                    Rounded::Underflow => Zero,
                };
                LongDouble {
                    negative,
                    magnitude,
                }
            }
        }
    }
}

fn to_shift(bits: i64) -> usize {
    usize::try_from(bits).unwrap_or(0)
}

/// `significand × 2^exponent × 10^17`, rounded half to even, in decimal:
/// exactly what glibc's `%.17Lf` prints before the point is inserted.
fn scaled_decimal_digits(significand: u64, exponent: i64) -> String {
    const SCALE: u128 = 100_000_000_000_000_000;
    let scaled = u128::from(significand) * SCALE;
    if exponent >= 0 {
        let mut n = BigUint::from_u128(scaled);
        n.shl(to_shift(exponent));
        return n.to_decimal();
    }
    let shift = exponent.unsigned_abs();
    if shift > 128 {
        // Below 2^128 / 2^129: less than half a unit, rounds to zero.
        return "0".into();
    }
    let (quotient, remainder, half) = if shift == 128 {
        (0, scaled, 1u128 << 127)
    } else {
        (
            scaled >> shift,
            scaled & ((1u128 << shift) - 1),
            1u128 << (shift - 1),
        )
    };
    let round_up = remainder > half || (remainder == half && quotient & 1 == 1);
    (quotient + u128::from(round_up)).to_string()
}

/// Parses the part of a decimal float after its sign:
/// `digits[.digits][(e|E)[sign]digits]`, with at least one digit overall.
fn parse_decimal(s: &[u8]) -> Option<Rounded> {
    let mut i = 0;
    let mut digits = Vec::new();
    let mut fraction_digits: i64 = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        digits.push(s[i]);
        i += 1;
    }
    if i < s.len() && s[i] == b'.' {
        i += 1;
        while i < s.len() && s[i].is_ascii_digit() {
            digits.push(s[i]);
            fraction_digits += 1;
            i += 1;
        }
    }
    if digits.is_empty() {
        return None;
    }
    let exponent = if i < s.len() && (s[i] | 0x20) == b'e' {
        let e = parse_exponent(&s[i + 1..])?;
        i = s.len();
        e
    } else {
        0
    };
    if i != s.len() {
        return None;
    }
    let first_nonzero = digits.iter().position(|&d| d != b'0');
    let Some(first_nonzero) = first_nonzero else {
        return Some(Rounded::Value(Magnitude::Zero));
    };
    let significant = &digits[first_nonzero..];
    // value = significant × 10^power10
    let power10 = exponent.saturating_sub(fraction_digits);
    let magnitude10 = power10.saturating_add(significant.len() as i64);
    // 10^magnitude10 bounds the value from above: beyond ~1.19e4932 it
    // overflows, below half the smallest subnormal (~1.8e-4951) it is zero.
    if magnitude10 > 4934 {
        return Some(Rounded::Overflow);
    }
    if magnitude10 < -4952 {
        return Some(Rounded::Underflow);
    }
    let mut n = BigUint::from_decimal(significant);
    if power10 >= 0 {
        n.mul_pow10(to_shift(power10));
        return Some(round(&n, 0));
    }
    let mut divisor = BigUint::from_u128(1);
    divisor.mul_pow10(to_shift(-power10));
    Some(round_quotient(&n, &divisor))
}

/// Parses the part of a hexadecimal float after `0x`:
/// `hexdigits[.hexdigits][(p|P)[sign]digits]`.
fn parse_hex(s: &[u8]) -> Option<Rounded> {
    let mut i = 0;
    let mut n = BigUint::from_u128(0);
    let mut any_digit = false;
    let mut exponent: i64 = 0;
    let mut seen_point = false;
    while i < s.len() {
        let c = s[i];
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = (c as char).to_digit(16) {
            n.shl(4);
            n.add(&BigUint::from_u128(u128::from(d)));
            any_digit = true;
            if seen_point {
                exponent -= 4;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !any_digit {
        return None;
    }
    if i < s.len() && (s[i] | 0x20) == b'p' {
        exponent = exponent.saturating_add(parse_exponent(&s[i + 1..])?);
        i = s.len();
    }
    if i != s.len() {
        return None;
    }
    if n.is_zero() {
        return Some(Rounded::Value(Magnitude::Zero));
    }
    let top = n.bits() as i64 - 1 + exponent;
    if top > MAX_EXPONENT {
        return Some(Rounded::Overflow);
    }
    if top < MIN_QUANTUM - 2 {
        return Some(Rounded::Underflow);
    }
    Some(round(&n, exponent))
}

/// `[sign]digits`, saturating (glibc clamps huge exponents the same way:
/// the result is then surely infinite or zero).
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        value = value.saturating_mul(10).saturating_add(i64::from(d - b'0'));
    }
    value = value.min(1 << 40);
    Some(if negative { -value } else { value })
}

/// Rounds `n × 2^exponent` (n > 0) to extended precision, nearest-even.
fn round(n: &BigUint, exponent: i64) -> Rounded {
    if n.is_zero() {
        return Rounded::Value(Magnitude::Zero);
    }
    let top = n.bits() as i64 - 1 + exponent;
    if top > MAX_EXPONENT {
        return Rounded::Overflow;
    }
    let mut quantum = (top - (SIGNIFICAND_BITS - 1)).max(MIN_QUANTUM);
    let shift = quantum - exponent;
    let mut significand: u128 = if shift <= 0 {
        n.low_u128() << shift.unsigned_abs()
    } else {
        let shift = to_shift(shift);
        let kept = n.shr_low_u128(shift);
        let half = n.bit(shift - 1);
        let sticky = n.any_below(shift - 1);
        kept + u128::from(half && (sticky || kept & 1 == 1))
    };
    if significand == 1 << SIGNIFICAND_BITS {
        significand >>= 1;
        quantum += 1;
        if quantum + SIGNIFICAND_BITS - 1 > MAX_EXPONENT {
            return Rounded::Overflow;
        }
    }
    if significand == 0 {
        return Rounded::Underflow;
    }
    Rounded::Value(Magnitude::Finite {
        significand: significand as u64,
        exponent: quantum,
    })
}

/// Rounds `n / d` (both > 0) to extended precision: enough quotient bits
/// by long division, with a sticky bit for a nonzero remainder.
fn round_quotient(n: &BigUint, d: &BigUint) -> Rounded {
    // Align so that 1/2 < a/b < 2, then take 68 quotient bits: more than
    // the 64 kept plus the rounding bit, whatever the leading bit does.
    let shift = n.bits() as i64 - d.bits() as i64;
    let mut a = n.clone();
    let mut b = d.clone();
    if shift >= 0 {
        b.shl(to_shift(shift));
    } else {
        a.shl(to_shift(-shift));
    }
    const QUOTIENT_BITS: i64 = 68;
    let mut q: u128 = 0;
    for _ in 0..QUOTIENT_BITS {
        q <<= 1;
        if a.cmp(&b) != Ordering::Less {
            a.sub(&b);
            q |= 1;
        }
        a.shl(1);
    }
    // n/d = (q + rest) × 2^(shift - QUOTIENT_BITS + 1), rest in [0, 1).
    let with_sticky = (q << 1) | u128::from(!a.is_zero());
    round(&BigUint::from_u128(with_sticky), shift - QUOTIENT_BITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incr(a: &str, b: &str) -> Option<String> {
        let sum = LongDouble::parse(a.as_bytes())? + LongDouble::parse(b.as_bytes())?;
        Some(sum.to_human_string())
    }

    #[test]
    fn extended_precision_keeps_decimal_sums_tidy() {
        // An f64 would print 10.59999999999999964.
        assert_eq!(incr("10.5", "0.1").as_deref(), Some("10.6"));
        assert_eq!(incr("0", "3.0e3").as_deref(), Some("3000"));
        assert_eq!(incr("5.0e3", "2.0e2").as_deref(), Some("5200"));
        assert_eq!(incr("1", "-1").as_deref(), Some("0"));
        assert_eq!(incr("0", "-0.000000000000000001").as_deref(), Some("0"));
    }

    #[test]
    fn printing_rounds_ties_to_even() {
        // 2^-18 has 18 decimals; the 18th is a 5 with nothing after it.
        assert_eq!(
            incr("0", "0.000003814697265625").as_deref(),
            Some("0.00000381469726562")
        );
        assert_eq!(
            incr("0", "0.000011444091796875").as_deref(),
            Some("0.00001144409179688")
        );
    }

    #[test]
    fn strtold_syntax() {
        for ok in [
            "1",
            "-1",
            "+5e+1",
            ".5",
            "5.",
            "0x10",
            "0X1P3",
            "0x.8",
            "0x1.p1",
            "inf",
            "-Infinity",
        ] {
            assert!(LongDouble::parse(ok.as_bytes()).is_some(), "{ok}");
        }
        for bad in [
            "", " 1", "1 ", "1e", "1e+", "0x", "nan", "-nan", ".", "e5", "1.2.3", "--1", "1\0",
        ] {
            assert!(LongDouble::parse(bad.as_bytes()).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn range_limits_match_strtold() {
        assert!(LongDouble::parse(b"1.1e4932").is_some());
        assert!(LongDouble::parse(b"1.2e4932").is_none());
        assert!(LongDouble::parse(b"1e-4940").is_some());
        assert!(LongDouble::parse(b"1e-4951").is_none());
        assert!(LongDouble::parse(b"0x1p-16445").is_some());
        assert!(LongDouble::parse(b"0x1p-16446").is_none());
        assert!(LongDouble::parse(b"0x1.8p-16446").is_some());
        assert!(LongDouble::parse(b"1e999999999999999999999").is_none());
        assert_eq!(incr("0", "1e-999999999999").as_deref(), None);
        assert_eq!(incr("0", "0e999999999999").as_deref(), Some("0"));
    }

    #[test]
    fn huge_values_print_every_digit() {
        let printed = incr("0", "1e4000").unwrap_or_default();
        assert_eq!(printed.len(), 4000);
        assert!(printed.starts_with("99999999999999999999654638730996237849324925835069576313015083330432619433063423554818216418655092798627644520731236735402176022173675923441721258819505279999614285"));
    }
}
