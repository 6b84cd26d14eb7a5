//! Number conversions as the C libraries perform them on Redis's usual
//! platform (x86-64 Linux, gcc, glibc), whatever the target running them:
//! [`strtod`], `printf`'s `%.*g` ([`format_g`], [`lua_number_text`]) and
//! the casts from double to integer.
//!
//! They live here, public, because every crate above needs the same C
//! behaviour and this is the crate all of them depend on: Lua itself and
//! its libraries (cjson reads numbers with `strtod` and writes them with
//! `%.14g`), the engine (Redis parses scores with `strtod` and prints
//! doubles with `%.17g`) and the simulator (a client program's numbers as
//! Lua's `tostring` writes them). They are C library behaviour, not Redis
//! semantics: Redis's own rules built on them (`string2d`, `addReplyDouble`)
//! stay in the engine.
//!
//! The C code converts doubles to integers with plain casts. Out of range
//! that is undefined behaviour in C, but what x86-64 does is what Redis
//! users see (`struct.pack('L', 2^64)` packs zeros), so it is reproduced
//! here rather than left to Rust's saturating `as` or to wasm's semantics.
//! Widths are x86-64's as well: `long` and `size_t` are 64 bits even where
//! the running target's are 32.

mod strtod;

pub use strtod::{is_c_space, strtod, Strtod};

/// `(int64_t)d`, compiled to `cvttsd2si`: truncation, and the "integer
/// indefinite" value `i64::MIN` for NaN and anything out of range.
pub(crate) fn double_to_i64(d: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0; // 2^63
    if (-LIMIT..LIMIT).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// `(uint64_t)d` as gcc compiles it: values below 2^63 (and NaN, which
/// compares as "below") go through the signed conversion; larger ones are
/// offset by 2^63 first, so 2^64 and beyond come out as 0.
pub(crate) fn double_to_u64(d: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if d.is_nan() || d < TWO_63 {
        double_to_i64(d) as u64
    } else {
        (double_to_i64(d - TWO_63) as u64) ^ (1 << 63)
    }
}

/// `(int)d` (`cvttsd2si` with a 32-bit destination): `i32::MIN` for NaN and
/// anything out of range.
pub(crate) fn double_to_i32(d: f64) -> i32 {
    if d > -2_147_483_649.0 && d < 2_147_483_648.0 {
        d as i32
    } else {
        i32::MIN
    }
}

/// Appends `d` as C's `printf("%.*g", precision, d)` writes it (glibc):
/// shortest of `%e` and `%f` for the precision, trailing zeros dropped,
/// `inf`, `-inf`, `nan`, `-nan`, `-0`.
pub fn write_g(out: &mut Vec<u8>, d: f64, precision: usize) {
    if d.is_nan() {
        out.extend_from_slice(if d.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if d.is_infinite() {
        out.extend_from_slice(if d > 0.0 { b"inf" } else { b"-inf" });
        return;
    }
    if d == 0.0 {
        out.extend_from_slice(if d.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let precision = precision.max(1);
    // Rust's exact formatting rounds half to even on the exact binary value,
    // as glibc's printf does.
    let scientific = format!("{:.*e}", precision - 1, d);
    let (mantissa, exponent) = scientific
        .split_once('e')
        .unwrap_or((scientific.as_str(), "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let precision = i32::try_from(precision).unwrap_or(i32::MAX);
    if exponent < -4 || exponent >= precision {
        out.extend_from_slice(trim_fraction_zeros(mantissa).as_bytes());
        out.push(b'e');
        out.push(if exponent < 0 { b'-' } else { b'+' });
        let magnitude = exponent.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        out.extend_from_slice(magnitude.to_string().as_bytes());
    } else {
        let decimals = usize::try_from(precision - 1 - exponent).unwrap_or(0);
        let fixed = format!("{d:.decimals$}");
        out.extend_from_slice(trim_fraction_zeros(&fixed).as_bytes());
    }
}

/// `printf("%.*g", precision, d)` as a string (see [`write_g`]).
pub fn format_g(d: f64, precision: usize) -> String {
    let mut out = Vec::new();
    write_g(&mut out, d, precision);
    // `write_g` writes only ASCII digits, signs, `.`, `e` and letters.
    String::from_utf8_lossy(&out).into_owned()
}

/// Significant digits of Lua 5.1's number format, `LUA_NUMBER_FMT` `%.14g`.
pub const LUA_NUMBER_PRECISION: usize = 14;

/// A number as Lua 5.1's `tostring` writes it (`%.14g`): `0.1 + 0.2` is
/// `0.3`, `1e15` is `1e+15`.
pub fn lua_number_text(n: f64) -> String {
    format_g(n, LUA_NUMBER_PRECISION)
}

fn trim_fraction_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(d: f64, precision: usize) -> String {
        let mut out = Vec::new();
        write_g(&mut out, d, precision);
        String::from_utf8(out).expect("ascii")
    }

    #[test]
    fn percent_g_matches_glibc() {
        assert_eq!(g(0.1 + 0.2, 14), "0.3");
        assert_eq!(g(0.1 + 0.2, 17), "0.30000000000000004");
        assert_eq!(g(1.0e-5, 17), "1.0000000000000001e-05");
        assert_eq!(g(2500.0, 17), "2500");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(lua_number_text(0.1 + 0.2), "0.3");
        assert_eq!(g(3.0, 14), "3");
        assert_eq!(g(-0.0, 14), "-0");
        assert_eq!(g(1e15, 14), "1e+15");
        assert_eq!(g(123456789012345.0, 14), "1.2345678901234e+14");
        assert_eq!(g(0.0001, 14), "0.0001");
        assert_eq!(g(0.00001, 14), "1e-05");
        assert_eq!(g(1e100, 14), "1e+100");
        assert_eq!(g(0.125, 2), "0.12");
        assert_eq!(g(2.5, 1), "2");
        assert_eq!(g(f64::NEG_INFINITY, 14), "-inf");
        assert_eq!(g(-f64::NAN, 14), "-nan");
    }

    #[test]
    fn casts_behave_like_x86_64() {
        assert_eq!(double_to_i64(-1.9), -1);
        assert_eq!(double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(double_to_i64(1e300), i64::MIN);
        assert_eq!(double_to_u64(f64::NAN), 1 << 63);
        assert_eq!(double_to_u64(-1.0), u64::MAX);
        assert_eq!(double_to_u64(9_223_372_036_854_775_808.0), 1 << 63);
        assert_eq!(double_to_u64(18_446_744_073_709_551_616.0), 0);
        assert_eq!(double_to_u64(f64::INFINITY), 0);
        assert_eq!(double_to_u64(1.3835058055282164e19), 0xc000_0000_0000_0000);
        assert_eq!(double_to_i32(2_147_483_647.9), i32::MAX);
        assert_eq!(double_to_i32(-2_147_483_648.9), i32::MIN);
        assert_eq!(double_to_i32(3e9), i32::MIN);
    }
}
