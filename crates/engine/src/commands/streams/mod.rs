//! Stream commands: XADD, XRANGE, XREAD, consumer groups and the rest.
//!
//! Semantics follow Redis 7.0's `t_stream.c`, including the order in which
//! arguments are checked (it decides which error a bad call gets). Helpers
//! shared by the files of this module live here: keyword matching, number
//! arguments, stream lookup and the reply shapes of entries.

mod add;
mod claim;
mod consumer_events;
mod groups;
mod id;
mod info;
mod range;
mod read;

use crate::client::Protocol;
use crate::command::{flags, spec, CommandSpec, Ctx, FIRST_KEY, NO_KEYS};
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::types::stream::{Fields, NodeLimits, Stream, StreamId};
use crate::value::Value;

pub use id::c_str;
pub(crate) use read::serve_read;

// Flag sets as `COMMAND INFO` lists them; RANDOM stands for the
// `nondeterministic_output` tip (IDs from the clock, idle times).
const READ: u32 = flags::READONLY;
const READ_FAST: u32 = flags::READONLY | flags::FAST;
const WRITE: u32 = flags::WRITE;
const WRITE_FAST: u32 = flags::WRITE | flags::FAST;
const GROW_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const CLOCK: u32 = flags::RANDOM;

pub const COMMANDS: &[CommandSpec] = &[
    spec("xadd", -5, GROW_FAST | CLOCK, FIRST_KEY, add::xadd),
    spec("xtrim", -4, WRITE | CLOCK, FIRST_KEY, add::xtrim),
    spec("xdel", -3, WRITE_FAST, FIRST_KEY, add::xdel),
    spec("xlen", 2, READ_FAST, FIRST_KEY, add::xlen),
    spec("xsetid", -3, GROW_FAST, FIRST_KEY, add::xsetid),
    spec("xrange", -4, READ, FIRST_KEY, range::xrange),
    spec("xrevrange", -4, READ, FIRST_KEY, range::xrevrange),
    // Their keys follow STREAMS (see `read_key_positions`), so the legacy
    // key spec is empty, as in Redis.
    spec("xread", -4, READ | flags::BLOCKING, NO_KEYS, read::xread),
    spec(
        "xreadgroup",
        -7,
        WRITE | flags::BLOCKING,
        NO_KEYS,
        |ctx, args| consumer_events::announcing(ctx, args, read::xreadgroup),
    ),
    spec("xack", -4, WRITE_FAST, FIRST_KEY, groups::xack),
    spec("xpending", -3, READ | CLOCK, FIRST_KEY, claim::xpending),
    spec("xclaim", -6, WRITE_FAST | CLOCK, FIRST_KEY, |ctx, args| {
        consumer_events::announcing(ctx, args, claim::xclaim)
    }),
    spec(
        "xautoclaim",
        -6,
        WRITE_FAST | CLOCK,
        FIRST_KEY,
        |ctx, args| consumer_events::announcing(ctx, args, claim::xautoclaim),
    ),
    spec("xgroup", -2, 0, NO_KEYS, groups::xgroup_help)
        .with_subcommands(groups::XGROUP_SUBCOMMANDS),
    spec("xinfo", -2, 0, NO_KEYS, info::xinfo_help).with_subcommands(info::XINFO_SUBCOMMANDS),
];

/// The key positions of an XREAD/XREADGROUP call (Redis's
/// `xreadGetKeys`): the first half of the arguments after the first
/// STREAMS met while skipping the options; none if the call is malformed.
pub fn read_key_positions(args: &[Vec<u8>]) -> Vec<usize> {
    let mut streams_at = None;
    let mut i = 1;
    while i < args.len() {
        let arg = &args[i];
        if keyword(arg, "block") || keyword(arg, "count") {
            i += 1;
        } else if keyword(arg, "group") {
            i += 2;
        } else if keyword(arg, "streams") {
            streams_at = Some(i);
            break;
        } else if !keyword(arg, "noack") {
            break;
        }
        i += 1;
    }
    let Some(at) = streams_at else {
        return Vec::new();
    };
    let rest = args.len() - at - 1;
    if rest == 0 || !rest.is_multiple_of(2) {
        return Vec::new();
    }
    (at + 1..at + 1 + rest / 2).collect()
}

/// Case-insensitive keyword match, on the argument as a C string (Redis
/// compares options with `strcasecmp`).
fn keyword(arg: &[u8], word: &str) -> bool {
    c_str(arg).eq_ignore_ascii_case(word.as_bytes())
}

/// `getLongLongFromObjectOrReply` with Redis's default message.
fn parse_integer(arg: &[u8]) -> Result<i64, Reply> {
    parse_i64(arg).ok_or_else(Reply::not_integer)
}

/// `getLongLongFromObjectOrReply` with a command's own message.
fn parse_integer_or(arg: &[u8], message: &str) -> Result<i64, Reply> {
    parse_i64(arg).ok_or_else(|| Reply::error(format!("ERR {message}")))
}

/// The stream at `key`: `Ok(None)` if there is no key, WRONGTYPE if it holds
/// something else.
fn stream_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut Stream>, Reply> {
    let now = ctx.now_ms;
    match ctx.db.get_mut(key, now) {
        None => Ok(None),
        Some(entry) => match &mut entry.value {
            Value::Stream(stream) => Ok(Some(stream)),
            _ => Err(Reply::wrong_type()),
        },
    }
}

/// The macro-node limits (`stream-node-max-bytes`/`-entries`), Redis's
/// defaults.
fn node_limits(_ctx: &Ctx) -> NodeLimits {
    NodeLimits::default()
}

fn is_resp3(ctx: &mut Ctx) -> bool {
    ctx.me().protocol == Protocol::Resp3
}

fn id_reply(id: StreamId) -> Reply {
    Reply::Bulk(id.to_bytes())
}

/// One entry as Redis sends it: `[id, [field, value, ...]]`.
fn entry_reply(id: StreamId, fields: &Fields) -> Reply {
    let mut flat = Vec::with_capacity(fields.len() * 2);
    for (field, value) in fields {
        flat.push(Reply::bulk(field));
        flat.push(Reply::bulk(value));
    }
    Reply::Array(vec![id_reply(id), Reply::Array(flat)])
}

/// An argument quoted in an error, as `%s` prints it.
fn quoted(arg: &[u8]) -> String {
    String::from_utf8_lossy(c_str(arg)).into_owned()
}

/// `addReplyErrorFormat`: error text built from user input stays on one
/// line (CR and LF inside become spaces, at the ends they are trimmed).
fn format_error(text: String) -> Reply {
    let trimmed = text.trim_matches(['\r', '\n']);
    Reply::Error(trimmed.replace(['\r', '\n'], " "))
}

/// `NOGROUP No such key 'k' or consumer group 'g'`, with `suffix` after it.
fn no_such_key_or_group(key: &[u8], group: &[u8], suffix: &str) -> Reply {
    format_error(format!(
        "NOGROUP No such key '{}' or consumer group '{}'{suffix}",
        quoted(key),
        quoted(group)
    ))
}

#[cfg(test)]
mod tests;
