//! Reading raw RESP2/RESP3 replies: where one complete reply ends, how to
//! compare aggregates whose order is a hash order, and how to show bytes.

use crate::script::Order;

/// Why a buffer does not start with one complete reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Incomplete {
    /// More bytes may complete it.
    NeedMore,
    /// No number of further bytes makes this RESP.
    Malformed(String),
}

/// The length of the first complete reply in `buf` (type byte through the
/// final CRLF), for every RESP2 and RESP3 type, attributes included.
///
/// Counts the values still to read instead of recursing: a script's reply
/// can nest thousands of levels deep.
pub fn reply_len(buf: &[u8]) -> Result<usize, Incomplete> {
    let mut pos = 0;
    let mut remaining: u64 = 1;
    while remaining > 0 {
        remaining -= 1;
        remaining = remaining.saturating_add(value(buf, &mut pos)?);
    }
    Ok(pos)
}

/// Reads one value's header (and a bulk payload); returns how many values
/// it contains, which follow it.
fn value(buf: &[u8], pos: &mut usize) -> Result<u64, Incomplete> {
    let kind = *buf.get(*pos).ok_or(Incomplete::NeedMore)?;
    let start = *pos + 1;
    let line_end = find_crlf(buf, start).ok_or(Incomplete::NeedMore)?;
    let header = &buf[start..line_end];
    *pos = line_end + 2;
    match kind {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(0),
        b'$' | b'!' | b'=' => {
            let n = number(header)?;
            if n < 0 {
                return if kind == b'$' {
                    Ok(0)
                } else {
                    Err(malformed(kind, header))
                };
            }
            let end = usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_add(*pos + 2));
            let Some(end) = end.filter(|&e| e <= buf.len()).map(|e| e - 2) else {
                return Err(Incomplete::NeedMore);
            };
            if &buf[end..end + 2] != b"\r\n" {
                return Err(Incomplete::Malformed(
                    "bulk payload not followed by CRLF".into(),
                ));
            }
            *pos = end + 2;
            Ok(0)
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let n = number(header)?;
            if n < 0 {
                return if kind == b'*' {
                    Ok(0)
                } else {
                    Err(malformed(kind, header))
                };
            }
            let per_entry = if matches!(kind, b'%' | b'|') { 2 } else { 1 };
            // An attribute decorates the reply that follows it.
            let decorated = u64::from(kind == b'|');
            Ok((n as u64)
                .saturating_mul(per_entry)
                .saturating_add(decorated))
        }
        _ => Err(Incomplete::Malformed(format!(
            "unknown type byte {:?}",
            kind as char
        ))),
    }
}

fn malformed(kind: u8, header: &[u8]) -> Incomplete {
    Incomplete::Malformed(format!(
        "bad length in {}{}",
        kind as char,
        String::from_utf8_lossy(header)
    ))
}

fn number(header: &[u8]) -> Result<i64, Incomplete> {
    std::str::from_utf8(header)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            Incomplete::Malformed(format!("bad length {:?}", String::from_utf8_lossy(header)))
        })
}

fn find_crlf(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|i| from + i)
}

/// Rewrites each top-level aggregate reply in `bytes` with its elements (or
/// element pairs) sorted, so that two hash orders compare equal. Anything
/// that is not an aggregate is left as it is.
pub fn normalise(bytes: &[u8], order: Order) -> Vec<u8> {
    if order == Order::Exact {
        return bytes.to_vec();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while !rest.is_empty() {
        let Ok(n) = reply_len(rest) else {
            out.extend_from_slice(rest);
            break;
        };
        out.extend_from_slice(&sorted_aggregate(&rest[..n], order));
        rest = &rest[n..];
    }
    out
}

fn sorted_aggregate(reply: &[u8], order: Order) -> Vec<u8> {
    let kind = reply[0];
    if !matches!(kind, b'*' | b'~' | b'>' | b'%') {
        return reply.to_vec();
    }
    let Some(header_end) = find_crlf(reply, 1) else {
        return reply.to_vec();
    };
    let mut elements: Vec<&[u8]> = Vec::new();
    let mut rest = &reply[header_end + 2..];
    while let Ok(n) = reply_len(rest) {
        elements.push(&rest[..n]);
        rest = &rest[n..];
    }
    let group = if order == Order::UnorderedPairs || kind == b'%' {
        2
    } else {
        1
    };
    let mut groups: Vec<Vec<u8>> = elements.chunks(group).map(|c| c.concat()).collect();
    groups.sort();
    let mut out = reply[..header_end + 2].to_vec();
    for g in groups {
        out.extend_from_slice(&g);
    }
    out
}

/// Shows bytes as a double-quoted C-style string, like `redis-cli --no-raw`
/// would quote a bulk string: `"+OK\r\n"`.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// A command as a RESP multibulk request.
pub fn request(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_of_every_type() {
        assert_eq!(reply_len(b"+OK\r\n+x"), Ok(5));
        assert_eq!(reply_len(b"$-1\r\n"), Ok(5));
        assert_eq!(reply_len(b"*-1\r\n"), Ok(5));
        assert_eq!(reply_len(b"$3\r\na\r\n\r\n"), Ok(9));
        assert_eq!(reply_len(b"*2\r\n:1\r\n$1\r\nx\r\n"), Ok(15));
        assert_eq!(reply_len(b"%1\r\n+a\r\n_\r\n"), Ok(11));
        assert_eq!(reply_len(b"=6\r\ntxt:hi\r\n"), Ok(12));
        assert_eq!(reply_len(b"|1\r\n+k\r\n+v\r\n:1\r\n"), Ok(16));
        assert_eq!(reply_len(b"*2\r\n:1\r\n"), Err(Incomplete::NeedMore));
        assert_eq!(reply_len(b"$5\r\nab"), Err(Incomplete::NeedMore));
        assert!(matches!(
            reply_len(b"?x\r\n"),
            Err(Incomplete::Malformed(_))
        ));
    }

    #[test]
    fn unordered_sorts_top_level_elements_only() {
        let a = normalise(
            b"*3\r\n$1\r\nb\r\n$1\r\na\r\n*2\r\n:2\r\n:1\r\n",
            Order::Unordered,
        );
        assert_eq!(a, b"*3\r\n$1\r\na\r\n$1\r\nb\r\n*2\r\n:2\r\n:1\r\n");
        let p = normalise(b"*4\r\n+k2\r\n:1\r\n+k1\r\n:2\r\n", Order::UnorderedPairs);
        assert_eq!(p, b"*4\r\n+k1\r\n:2\r\n+k2\r\n:1\r\n");
        let m = normalise(b"%2\r\n+k2\r\n:1\r\n+k1\r\n:2\r\n", Order::Unordered);
        assert_eq!(m, b"%2\r\n+k1\r\n:2\r\n+k2\r\n:1\r\n");
        assert_eq!(normalise(b"-ERR x\r\n", Order::Unordered), b"-ERR x\r\n");
    }

    #[test]
    fn escapes_control_bytes() {
        assert_eq!(escape(b"+OK\r\n\x00\""), r#""+OK\r\n\x00\"""#);
    }
}
