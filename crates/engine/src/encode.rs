//! RESP2 and RESP3 encodings of [`Reply`], byte for byte as Redis 7.0 writes them.

use crate::client::Protocol;
use crate::numbers::format_double_reply;
use crate::reply::Reply;

/// Appends the wire form of `reply` for `protocol` to `out`.
///
/// Iterative, with the elements still to write on a heap stack: a script
/// can return a reply thousands of levels deep (Redis nests one until the
/// Lua stack is full), deeper than a recursive walk fits in a thread's
/// stack.
pub fn encode(reply: &Reply, protocol: Protocol, out: &mut Vec<u8>) {
    let resp3 = protocol == Protocol::Resp3;
    let mut pending = vec![reply];
    while let Some(reply) = pending.pop() {
        match reply {
            Reply::Status(s) => line(out, b'+', s.as_bytes()),
            Reply::Error(s) => line(out, b'-', s.as_bytes()),
            Reply::Integer(n) => line(out, b':', n.to_string().as_bytes()),
            Reply::Bulk(b) => bulk(out, b),
            Reply::Null if resp3 => out.extend_from_slice(b"_\r\n"),
            Reply::Null => out.extend_from_slice(b"$-1\r\n"),
            Reply::NullArray if resp3 => out.extend_from_slice(b"_\r\n"),
            Reply::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Reply::Array(items) => aggregate(out, b'*', items, &mut pending),
            Reply::Double(d) if resp3 => line(out, b',', format_double_reply(*d).as_bytes()),
            Reply::Double(d) => bulk(out, format_double_reply(*d).as_bytes()),
            Reply::Map(pairs) => {
                if resp3 {
                    line(out, b'%', pairs.len().to_string().as_bytes());
                } else {
                    line(out, b'*', (pairs.len() * 2).to_string().as_bytes());
                }
                for (k, v) in pairs.iter().rev() {
                    pending.push(v);
                    pending.push(k);
                }
            }
            Reply::Set(items) => {
                aggregate(out, if resp3 { b'~' } else { b'*' }, items, &mut pending)
            }
            Reply::Bool(b) if resp3 => {
                out.extend_from_slice(if *b { b"#t\r\n" } else { b"#f\r\n" })
            }
            Reply::Bool(b) => out.extend_from_slice(if *b { b":1\r\n" } else { b":0\r\n" }),
            Reply::Push(items) => {
                aggregate(out, if resp3 { b'>' } else { b'*' }, items, &mut pending)
            }
            Reply::Verbatim(text) if resp3 => {
                line(out, b'=', (text.len() + 4).to_string().as_bytes());
                out.extend_from_slice(b"txt:");
                out.extend_from_slice(text.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Reply::Verbatim(text) => bulk(out, text.as_bytes()),
            Reply::BigNumber(digits) if resp3 => line(out, b'(', digits.as_bytes()),
            Reply::BigNumber(digits) => bulk(out, digits.as_bytes()),
            Reply::Attributed { attributes, reply } => {
                pending.push(reply);
                if resp3 {
                    line(out, b'|', attributes.len().to_string().as_bytes());
                    for (k, v) in attributes.iter().rev() {
                        pending.push(v);
                        pending.push(k);
                    }
                }
            }
            Reply::Many(replies) => pending.extend(replies.iter().rev()),
        }
    }
}

/// Convenience: the wire bytes of one reply.
pub fn to_bytes(reply: &Reply, protocol: Protocol) -> Vec<u8> {
    let mut out = Vec::new();
    encode(reply, protocol, &mut out);
    out
}

fn line(out: &mut Vec<u8>, prefix: u8, body: &[u8]) {
    out.push(prefix);
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, b: &[u8]) {
    line(out, b'$', b.len().to_string().as_bytes());
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// Writes an aggregate's header and queues its elements, first on top.
fn aggregate<'r>(out: &mut Vec<u8>, prefix: u8, items: &'r [Reply], pending: &mut Vec<&'r Reply>) {
    line(out, prefix, items.len().to_string().as_bytes());
    pending.extend(items.iter().rev());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_differs_by_protocol() {
        assert_eq!(to_bytes(&Reply::Null, Protocol::Resp2), b"$-1\r\n");
        assert_eq!(to_bytes(&Reply::NullArray, Protocol::Resp2), b"*-1\r\n");
        assert_eq!(to_bytes(&Reply::Null, Protocol::Resp3), b"_\r\n");
    }

    #[test]
    fn map_flattens_in_resp2() {
        let m = Reply::Map(vec![(Reply::bulk("a"), Reply::Integer(1))]);
        assert_eq!(to_bytes(&m, Protocol::Resp2), b"*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(to_bytes(&m, Protocol::Resp3), b"%1\r\n$1\r\na\r\n:1\r\n");
    }

    #[test]
    fn verbatim_counts_its_format_prefix() {
        let v = Reply::Verbatim("hi".into());
        assert_eq!(to_bytes(&v, Protocol::Resp3), b"=6\r\ntxt:hi\r\n");
        assert_eq!(to_bytes(&v, Protocol::Resp2), b"$2\r\nhi\r\n");
    }
}
