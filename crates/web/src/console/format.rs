//! Printing replies the way redis-cli prints them on a terminal.
//!
//! This mirrors `cliFormatReplyTTY` in redis-cli 7: `PONG`, `(integer) 1`,
//! `"bar"`, `(nil)`, `(error) ERR ...`, and numbered, indented aggregates.
//! A reply is first seen through the connection's protocol, because that is
//! what a real client receives: in RESP2 a double arrives as a bulk string,
//! a map as a flat array and a boolean as an integer.

use lockstep_engine::numbers::format_double_reply;
use lockstep_engine::{Protocol, Reply};

/// Formats one reply as redis-cli shows it, without a trailing newline.
pub fn format_reply(reply: &Reply, protocol: Protocol) -> String {
    if let Some(text) = report_text(reply) {
        return text.trim_end_matches(['\r', '\n']).replace("\r\n", "\n");
    }
    let mut out = String::new();
    write_reply(&mut out, reply, protocol == Protocol::Resp3, "");
    if out.ends_with('\n') {
        out.pop();
    }
    out
}

/// The text of a report such as INFO or CLIENT LIST: a whole reply that is
/// printable text in lines, each ending in a newline. redis-cli prints
/// those commands' replies raw (`output_raw`), line by line, not as one
/// quoted string full of `\r\n`; it decides by the command's name, and the
/// console, which sees only the reply, by its shape.
fn report_text(reply: &Reply) -> Option<&str> {
    let bytes: &[u8] = match reply {
        Reply::Bulk(bytes) => bytes,
        Reply::Verbatim(text) => text.as_bytes(),
        _ => return None,
    };
    let text = std::str::from_utf8(bytes).ok()?;
    let printable = text
        .chars()
        .all(|c| matches!(c, '\r' | '\n' | '\t') || !c.is_control());
    (printable && text.ends_with('\n') && text.len() > 1).then_some(text)
}

/// The kinds of aggregate redis-cli distinguishes by their number marker
/// (`1)`, `1~`, `1#`) and by their empty form.
#[derive(Clone, Copy, PartialEq)]
enum Aggregate {
    Array,
    Set,
    Map,
    Push,
}

impl Aggregate {
    fn marker(self) -> char {
        match self {
            Aggregate::Set => '~',
            Aggregate::Map => '#',
            // redis-cli keeps `)` for pushes, for compatibility with scripts.
            Aggregate::Array | Aggregate::Push => ')',
        }
    }

    fn empty(self) -> &'static str {
        match self {
            Aggregate::Array => "(empty array)",
            Aggregate::Set => "(empty set)",
            Aggregate::Map => "(empty hash)",
            Aggregate::Push => "(empty push)",
        }
    }
}

/// Appends `reply` (and a newline) to `out`. `prefix` is the indentation of
/// the enclosing aggregate, written before every line but the first, whose
/// place the caller has already filled with an index such as `1) `.
fn write_reply(out: &mut String, reply: &Reply, resp3: bool, prefix: &str) {
    match reply {
        Reply::Status(text) => line(out, text),
        Reply::Error(text) => line(out, &format!("(error) {text}")),
        Reply::Integer(n) => line(out, &format!("(integer) {n}")),
        Reply::Bulk(bytes) => line(out, &quote(bytes)),
        Reply::Null | Reply::NullArray => line(out, "(nil)"),
        Reply::Double(d) if resp3 => line(out, &format!("(double) {}", format_double_reply(*d))),
        Reply::Double(d) => line(out, &quote(format_double_reply(*d).as_bytes())),
        Reply::Bool(b) if resp3 => line(out, if *b { "(true)" } else { "(false)" }),
        Reply::Bool(b) => line(out, &format!("(integer) {}", i64::from(*b))),
        // redis-cli prints verbatim text as is, without quotes.
        Reply::Verbatim(text) if resp3 => line(out, text),
        Reply::Verbatim(text) => line(out, &quote(text.as_bytes())),
        Reply::Array(items) => write_aggregate(out, Aggregate::Array, items, resp3, prefix),
        Reply::Set(items) if resp3 => write_aggregate(out, Aggregate::Set, items, resp3, prefix),
        Reply::Set(items) => write_aggregate(out, Aggregate::Array, items, resp3, prefix),
        Reply::Push(items) if resp3 => write_aggregate(out, Aggregate::Push, items, resp3, prefix),
        Reply::Push(items) => write_aggregate(out, Aggregate::Array, items, resp3, prefix),
        Reply::Map(pairs) if resp3 => write_map(out, pairs, prefix),
        Reply::Map(pairs) => {
            let flat: Vec<Reply> = pairs
                .iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect();
            write_aggregate(out, Aggregate::Array, &flat, resp3, prefix);
        }
        // Several replies in a row (SUBSCRIBE to N channels): each on its own.
        Reply::Many(replies) => {
            for r in replies {
                write_reply(out, r, resp3, prefix);
            }
        }
    }
}

fn write_aggregate(out: &mut String, kind: Aggregate, items: &[Reply], resp3: bool, prefix: &str) {
    if items.is_empty() {
        return line(out, kind.empty());
    }
    let width = digits(items.len());
    let nested = child_prefix(prefix, width);
    for (i, item) in items.iter().enumerate() {
        index(out, i, prefix, width, kind.marker());
        write_reply(out, item, resp3, &nested);
    }
}

/// A RESP3 map: `1# "key" => value`, with a multi-line value moved to the
/// next line so that its numbering lines up.
fn write_map(out: &mut String, pairs: &[(Reply, Reply)], prefix: &str) {
    if pairs.is_empty() {
        return line(out, Aggregate::Map.empty());
    }
    let width = digits(pairs.len());
    let nested = child_prefix(prefix, width);
    for (i, (key, value)) in pairs.iter().enumerate() {
        index(out, i, prefix, width, Aggregate::Map.marker());
        write_reply(out, key, true, &nested);
        out.pop();
        out.push_str(" => ");
        if is_multiline(value) {
            out.push('\n');
            out.push_str(&nested);
        }
        write_reply(out, value, true, &nested);
    }
}

/// `cliIsMultilineValueTTY`, for RESP3 maps.
fn is_multiline(reply: &Reply) -> bool {
    match reply {
        Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => match items.as_slice() {
            [] => false,
            [only] => is_multiline(only),
            _ => true,
        },
        Reply::Map(pairs) => match pairs.as_slice() {
            [] => false,
            [(_, value)] => is_multiline(value),
            _ => true,
        },
        _ => false,
    }
}

/// Writes `N) ` right-aligned to `width`; the first item's line already
/// carries the parent's prefix.
fn index(out: &mut String, i: usize, prefix: &str, width: usize, marker: char) {
    if i > 0 {
        out.push_str(prefix);
    }
    out.push_str(&format!("{:>width$}{marker} ", i + 1));
}

fn child_prefix(prefix: &str, width: usize) -> String {
    format!("{prefix}{}", " ".repeat(width + 2))
}

fn digits(mut n: usize) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

fn line(out: &mut String, text: &str) {
    out.push_str(text);
    out.push('\n');
}

/// `sdscatrepr`: double quotes, C escapes, and `\xHH` for every byte that is
/// not printable ASCII (so UTF-8 text shows as escapes, as in redis-cli).
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp2(reply: &Reply) -> String {
        format_reply(reply, Protocol::Resp2)
    }

    fn resp3(reply: &Reply) -> String {
        format_reply(reply, Protocol::Resp3)
    }

    #[test]
    fn reports_like_info_and_client_list_print_raw_in_lines() {
        let info = Reply::Bulk(
            b"# Server\r\nredis_version:7.0.15\r\n\r\n# Clients\r\nconnected_clients:1\r\n"
                .to_vec(),
        );
        assert_eq!(
            resp2(&info),
            "# Server\nredis_version:7.0.15\n\n# Clients\nconnected_clients:1"
        );
        let clients =
            Reply::Bulk(b"id=3 addr=127.0.0.1:50000 name= db=0 cmd=client|list\n".to_vec());
        assert_eq!(
            resp2(&clients),
            "id=3 addr=127.0.0.1:50000 name= db=0 cmd=client|list"
        );
        // Values stay quoted: a line without its newline, or binary bytes.
        assert_eq!(resp2(&Reply::Bulk(b"a\r\nb".to_vec())), "\"a\\r\\nb\"");
        assert_eq!(resp2(&Reply::Bulk(b"\x00\n".to_vec())), "\"\\x00\\n\"");
        assert_eq!(resp2(&Reply::Bulk(b"\n".to_vec())), "\"\\n\"");
    }

    fn bulk(s: &str) -> Reply {
        Reply::bulk(s)
    }

    #[test]
    fn scalars() {
        assert_eq!(resp2(&Reply::Status("PONG".into())), "PONG");
        assert_eq!(resp2(&Reply::Integer(-3)), "(integer) -3");
        assert_eq!(resp2(&bulk("bar")), "\"bar\"");
        assert_eq!(resp2(&Reply::Null), "(nil)");
        assert_eq!(resp2(&Reply::NullArray), "(nil)");
        assert_eq!(
            resp2(&Reply::error(
                "ERR wrong number of arguments for 'get' command"
            )),
            "(error) ERR wrong number of arguments for 'get' command"
        );
    }

    #[test]
    fn bulk_strings_are_escaped_like_sdscatrepr() {
        assert_eq!(quote(b"a\"b\\c\n\r\t\x07\x08"), r#""a\"b\\c\n\r\t\a\b""#);
        assert_eq!(quote(&[0x00, 0xff]), r#""\x00\xff""#);
        assert_eq!(quote("é".as_bytes()), r#""\xc3\xa9""#);
        assert_eq!(quote(b""), "\"\"");
    }

    #[test]
    fn arrays_are_numbered_and_nested_arrays_indented() {
        let reply = Reply::Array(vec![
            Reply::Array(vec![bulk("a"), bulk("b")]),
            bulk("c"),
            Reply::Array(vec![]),
        ]);
        assert_eq!(
            resp2(&reply),
            "1) 1) \"a\"\n   2) \"b\"\n2) \"c\"\n3) (empty array)"
        );
    }

    #[test]
    fn index_width_grows_with_the_count() {
        let items: Vec<Reply> = (1..=10).map(Reply::Integer).collect();
        let text = resp2(&Reply::Array(items));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], " 1) (integer) 1");
        assert_eq!(lines[9], "10) (integer) 10");

        let nested = Reply::Array(vec![Reply::Array((1..=10).map(Reply::Integer).collect())]);
        let text = resp2(&nested);
        assert_eq!(text.lines().nth(1), Some("    2) (integer) 2"));
    }

    #[test]
    fn errors_inside_exec_results_keep_their_prefix() {
        let reply = Reply::Array(vec![Reply::ok(), Reply::wrong_type()]);
        assert_eq!(
            resp2(&reply),
            "1) OK\n2) (error) WRONGTYPE Operation against a key holding the wrong kind of value"
        );
    }

    #[test]
    fn resp2_shows_resp3_types_as_their_wire_form() {
        assert_eq!(resp2(&Reply::Double(1.5)), "\"1.5\"");
        assert_eq!(resp2(&Reply::Bool(true)), "(integer) 1");
        assert_eq!(resp2(&Reply::Verbatim("# Server".into())), "\"# Server\"");
        let map = Reply::Map(vec![(bulk("a"), Reply::Integer(1))]);
        assert_eq!(resp2(&map), "1) \"a\"\n2) (integer) 1");
        assert_eq!(resp2(&Reply::Set(vec![bulk("x")])), "1) \"x\"");
        assert_eq!(resp2(&Reply::Map(vec![])), "(empty array)");
    }

    #[test]
    fn resp3_types() {
        assert_eq!(resp3(&Reply::Double(1.5)), "(double) 1.5");
        assert_eq!(resp3(&Reply::Bool(false)), "(false)");
        assert_eq!(
            resp3(&Reply::Verbatim("# Server\nredis_version:7.0.0".into())),
            "# Server\nredis_version:7.0.0"
        );
        assert_eq!(
            resp3(&Reply::Set(vec![bulk("x"), bulk("y")])),
            "1~ \"x\"\n2~ \"y\""
        );
        assert_eq!(resp3(&Reply::Set(vec![])), "(empty set)");
        assert_eq!(resp3(&Reply::Map(vec![])), "(empty hash)");
        assert_eq!(resp3(&Reply::Push(vec![bulk("message")])), "1) \"message\"");
    }

    #[test]
    fn resp3_maps_align_multiline_values() {
        let map = Reply::Map(vec![
            (bulk("server"), bulk("redis")),
            (bulk("modules"), Reply::Array(vec![bulk("a"), bulk("b")])),
            (bulk("one"), Reply::Array(vec![bulk("x")])),
        ]);
        assert_eq!(
            resp3(&map),
            "1# \"server\" => \"redis\"\n\
             2# \"modules\" => \n   1) \"a\"\n   2) \"b\"\n\
             3# \"one\" => 1) \"x\""
        );
    }

    #[test]
    fn many_replies_follow_each_other() {
        let many = Reply::Many(vec![
            Reply::Array(vec![bulk("subscribe"), bulk("a"), Reply::Integer(1)]),
            Reply::Array(vec![bulk("subscribe"), bulk("b"), Reply::Integer(2)]),
        ]);
        assert_eq!(
            resp2(&many),
            "1) \"subscribe\"\n2) \"a\"\n3) (integer) 1\n1) \"subscribe\"\n2) \"b\"\n3) (integer) 2"
        );
        assert_eq!(resp2(&Reply::Many(vec![])), "");
    }
}
