//! Redis's `sdscatrepr`: how Redis and redis-cli show a binary string to a
//! person (MONITOR lines, redis-cli's output, the simulator's timeline).
//!
//! One definition for every place that shows a value, so that the engine,
//! the web console and the trace quote the same bytes the same way.

/// `bytes` in double quotes, with `\\ \" \n \r \t \a \b` escaped and every
/// other byte outside printable ASCII as `\xHH` (so UTF-8 text shows as
/// escapes, as in redis-cli).
pub fn repr(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    write_escaped(&mut out, bytes);
    out.push('"');
    out
}

/// Appends `bytes` escaped as [`repr`] does, without the quotes (for a
/// caller that adds something inside them, as the timeline's "…(+15
/// bytes)").
pub fn write_escaped(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_sdscatrepr() {
        assert_eq!(repr(b"a b"), "\"a b\"");
        assert_eq!(repr(b"a\"b\\c\n\r\t\x07\x08"), r#""a\"b\\c\n\r\t\a\b""#);
        assert_eq!(repr(&[0x00, 0x01, 0x7f, 0xff]), r#""\x00\x01\x7f\xff""#);
        assert_eq!(repr("é".as_bytes()), r#""\xc3\xa9""#);
        assert_eq!(repr(b""), "\"\"");
    }
}
