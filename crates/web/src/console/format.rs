//! Printing replies the way redis-cli prints them on a terminal.
//!
//! This mirrors `cliFormatReplyTTY` in redis-cli 7: `PONG`, `(integer) 1`,
//! `"bar"`, `(nil)`, `(error) ERR ...`, and numbered, indented aggregates.
//! A reply is first seen through the connection's protocol, because that is
//! what a real client receives: in RESP2 a double arrives as a bulk string,
//! a map as a flat array and a boolean as an integer.

use lockstep_engine::numbers::format_double_reply;
use lockstep_engine::{repr, Protocol, Reply};

/// Formats one reply as redis-cli shows it, without a trailing newline.
pub fn format_reply(reply: &Reply, protocol: Protocol) -> String {
    if let Some(text) = report_text(reply) {
        return text.trim_end_matches(['\r', '\n']).replace("\r\n", "\n");
    }
    let mut out = String::new();
    write_reply(&mut out, reply, protocol == Protocol::Resp3);
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

/// What is left to print, last first. A script can return a reply
/// thousands of levels deep (Redis nests one until its Lua stack is full),
/// so the walk keeps its place here rather than in recursion, and an
/// indentation is a number of spaces, not a string per level.
enum Step<'r> {
    /// A reply whose lines after the first are indented by `indent` spaces.
    Reply(&'r Reply, usize),
    /// `N) ` before an element; elements after the first start a new line
    /// at the aggregate's own indentation.
    Index {
        i: usize,
        width: usize,
        marker: char,
        indent: usize,
    },
    /// After a map key: ` => ` and the value.
    MapValue(&'r Reply, usize),
}

/// Appends `reply` (and a newline) to `out`, as `cliFormatReplyTTY` does.
fn write_reply(out: &mut String, reply: &Reply, resp3: bool) {
    let mut steps = vec![Step::Reply(reply, 0)];
    while let Some(step) = steps.pop() {
        match step {
            Step::Reply(reply, indent) => write_one(out, reply, resp3, indent, &mut steps),
            Step::Index {
                i,
                width,
                marker,
                indent,
            } => {
                if i > 0 {
                    spaces(out, indent);
                }
                out.push_str(&format!("{:>width$}{marker} ", i + 1));
            }
            Step::MapValue(value, indent) => {
                out.pop();
                out.push_str(" => ");
                if is_multiline(value) {
                    out.push('\n');
                    spaces(out, indent);
                }
                steps.push(Step::Reply(value, indent));
            }
        }
    }
}

/// Prints a scalar, or queues an aggregate's elements.
fn write_one<'r>(
    out: &mut String,
    reply: &'r Reply,
    resp3: bool,
    indent: usize,
    steps: &mut Vec<Step<'r>>,
) {
    match reply {
        Reply::Status(text) => line(out, text),
        Reply::Error(text) => line(out, &format!("(error) {text}")),
        Reply::Integer(n) => line(out, &format!("(integer) {n}")),
        Reply::Bulk(bytes) => line(out, &repr(bytes)),
        Reply::Null | Reply::NullArray => line(out, "(nil)"),
        Reply::Double(d) if resp3 => line(out, &format!("(double) {}", format_double_reply(*d))),
        Reply::Double(d) => line(out, &repr(format_double_reply(*d).as_bytes())),
        Reply::Bool(b) if resp3 => line(out, if *b { "(true)" } else { "(false)" }),
        Reply::Bool(b) => line(out, &format!("(integer) {}", i64::from(*b))),
        // redis-cli prints verbatim text as is, without quotes.
        Reply::Verbatim(text) if resp3 => line(out, text),
        Reply::Verbatim(text) => line(out, &repr(text.as_bytes())),
        Reply::BigNumber(digits) if resp3 => line(out, &format!("(big number) {digits}")),
        // redis-cli prints the reply after its attributes.
        Reply::Attributed { reply, .. } => write_one(out, reply, resp3, indent, steps),
        Reply::BigNumber(digits) => line(out, &repr(digits.as_bytes())),
        Reply::Array(items) => queue_aggregate(out, Aggregate::Array, items, indent, steps),
        Reply::Set(items) if resp3 => queue_aggregate(out, Aggregate::Set, items, indent, steps),
        Reply::Set(items) => queue_aggregate(out, Aggregate::Array, items, indent, steps),
        Reply::Push(items) if resp3 => queue_aggregate(out, Aggregate::Push, items, indent, steps),
        Reply::Push(items) => queue_aggregate(out, Aggregate::Array, items, indent, steps),
        Reply::Map(pairs) if resp3 => queue_map(out, pairs, indent, steps),
        Reply::Map(pairs) => {
            let flat: Vec<&Reply> = pairs.iter().flat_map(|(k, v)| [k, v]).collect();
            queue_aggregate(out, Aggregate::Array, flat, indent, steps);
        }
        // Several replies in a row (SUBSCRIBE to N channels): each on its own.
        Reply::Many(replies) => steps.extend(replies.iter().rev().map(|r| Step::Reply(r, indent))),
    }
}

fn queue_aggregate<'r>(
    out: &mut String,
    kind: Aggregate,
    items: impl IntoIterator<Item = &'r Reply, IntoIter: DoubleEndedIterator + ExactSizeIterator>,
    indent: usize,
    steps: &mut Vec<Step<'r>>,
) {
    let items = items.into_iter();
    if items.len() == 0 {
        return line(out, kind.empty());
    }
    let width = digits(items.len());
    let nested = indent + width + 2;
    for (i, item) in items.enumerate().rev() {
        steps.push(Step::Reply(item, nested));
        steps.push(Step::Index {
            i,
            width,
            marker: kind.marker(),
            indent,
        });
    }
}

/// A RESP3 map: `1# "key" => value`, with a multi-line value moved to the
/// next line so that its numbering lines up.
fn queue_map<'r>(
    out: &mut String,
    pairs: &'r [(Reply, Reply)],
    indent: usize,
    steps: &mut Vec<Step<'r>>,
) {
    if pairs.is_empty() {
        return line(out, Aggregate::Map.empty());
    }
    let width = digits(pairs.len());
    let nested = indent + width + 2;
    for (i, (key, value)) in pairs.iter().enumerate().rev() {
        steps.push(Step::MapValue(value, nested));
        steps.push(Step::Reply(key, nested));
        steps.push(Step::Index {
            i,
            width,
            marker: Aggregate::Map.marker(),
            indent,
        });
    }
}

/// `cliIsMultilineValueTTY`, for RESP3 maps: a chain of one-element
/// aggregates is as multi-line as its innermost element.
fn is_multiline(mut reply: &Reply) -> bool {
    loop {
        match reply {
            Reply::Array(items) | Reply::Set(items) | Reply::Push(items) => {
                match items.as_slice() {
                    [] => return false,
                    [only] => reply = only,
                    _ => return true,
                }
            }
            Reply::Map(pairs) => match pairs.as_slice() {
                [] => return false,
                [(_, value)] => reply = value,
                _ => return true,
            },
            _ => return false,
        }
    }
}

fn spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
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
        let bulk = Reply::bulk(b"a\"b\n\x07\xc3\xa9");
        assert_eq!(resp2(&bulk), r#""a\"b\n\a\xc3\xa9""#);
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

    #[test]
    fn replies_nested_thousands_deep_print_as_redis_cli_prints_them() {
        // What a self-referencing table returned by EVAL becomes in Redis 7.0.
        let mut reply = Reply::error("ERR reached lua stack limit");
        for _ in 0..7995 {
            reply = Reply::Array(vec![reply]);
        }
        let expected = format!("{}(error) ERR reached lua stack limit", "1) ".repeat(7995));
        assert_eq!(resp2(&reply), expected);
        assert_eq!(resp3(&reply), expected);
    }
}
