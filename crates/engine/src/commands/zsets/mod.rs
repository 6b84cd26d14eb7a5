//! Sorted set commands (Redis's `t_zset.c`).
//!
//! Members are ordered by score, then by member bytes. Scores are doubles
//! parsed with `strtod`'s rules and printed with `%.17g` (RESP2 bulk
//! strings, RESP3 doubles). Replies that carry scores change shape with the
//! protocol: WITHSCORES is a flat member, score, ... array in RESP2 and an
//! array of [member, score] pairs in RESP3.

mod add;
mod algebra;
mod pop;

pub(crate) use pop::serve_pop;
mod query;
mod random;
mod range;
mod remove;
mod scan;

use crate::client::Protocol;
use crate::command::{flags, CommandSpec, Ctx, Handler};
use crate::keyspace::Entry;
use crate::reply::Reply;
use crate::types::zset::SortedSet;
use crate::value::Value;

const fn spec(name: &'static str, arity: i32, flags: u32, handler: Handler) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys: (1, 1, 1),
        handler,
        subcommands: &[],
    }
}

/// Commands whose keys follow a numkeys argument (`movablekeys`), which
/// the legacy key spec cannot describe.
const fn keyless(name: &'static str, arity: i32, flags: u32, handler: Handler) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys: (0, 0, 0),
        handler,
        subcommands: &[],
    }
}

const READ: u32 = flags::READONLY;
const READ_FAST: u32 = flags::READONLY | flags::FAST;
const WRITE: u32 = flags::WRITE;
const WRITE_FAST: u32 = flags::WRITE | flags::FAST;
const GROW_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;

/// Arity, flags and key positions as `COMMAND INFO` reports them in 7.0.
pub const COMMANDS: &[CommandSpec] = &[
    spec("zadd", -4, GROW_FAST, add::zadd),
    spec("zincrby", 4, GROW_FAST, add::zincrby),
    spec("zcard", 2, READ_FAST, query::zcard),
    spec("zscore", 3, READ_FAST, query::zscore),
    spec("zmscore", -3, READ_FAST, query::zmscore),
    spec("zrank", 3, READ_FAST, query::zrank),
    spec("zrevrank", 3, READ_FAST, query::zrevrank),
    spec("zcount", 4, READ_FAST, query::zcount),
    spec("zlexcount", 4, READ_FAST, query::zlexcount),
    spec("zrange", -4, READ, range::zrange),
    spec("zrevrange", -4, READ, range::zrevrange),
    spec("zrangebyscore", -4, READ, range::zrangebyscore),
    spec("zrevrangebyscore", -4, READ, range::zrevrangebyscore),
    spec("zrangebylex", -4, READ, range::zrangebylex),
    spec("zrevrangebylex", -4, READ, range::zrevrangebylex),
    CommandSpec {
        name: "zrangestore",
        arity: -5,
        flags: flags::WRITE | flags::DENYOOM,
        keys: (1, 2, 1),
        handler: range::zrangestore,
        subcommands: &[],
    },
    spec(
        "zunionstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        algebra::zunionstore,
    ),
    spec(
        "zinterstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        algebra::zinterstore,
    ),
    spec(
        "zdiffstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        algebra::zdiffstore,
    ),
    keyless("zunion", -3, READ, algebra::zunion),
    keyless("zinter", -3, READ, algebra::zinter),
    keyless("zdiff", -3, READ, algebra::zdiff),
    keyless("zintercard", -3, READ, algebra::zintercard),
    spec("zscan", -3, READ | flags::RANDOM, scan::zscan),
    spec("zrandmember", -2, READ | flags::RANDOM, random::zrandmember),
    spec("zrem", -3, WRITE_FAST, remove::zrem),
    spec("zremrangebyrank", 4, WRITE, remove::zremrangebyrank),
    spec("zremrangebyscore", 4, WRITE, remove::zremrangebyscore),
    spec("zremrangebylex", 4, WRITE, remove::zremrangebylex),
    spec("zpopmin", -2, WRITE_FAST, pop::zpopmin),
    spec("zpopmax", -2, WRITE_FAST, pop::zpopmax),
    keyless("zmpop", -4, WRITE, pop::zmpop),
    CommandSpec {
        name: "bzpopmin",
        arity: -3,
        flags: WRITE_FAST | flags::NOSCRIPT | flags::BLOCKING,
        keys: (1, -2, 1),
        handler: pop::bzpopmin,
        subcommands: &[],
    },
    CommandSpec {
        name: "bzpopmax",
        arity: -3,
        flags: WRITE_FAST | flags::NOSCRIPT | flags::BLOCKING,
        keys: (1, -2, 1),
        handler: pop::bzpopmax,
        subcommands: &[],
    },
    keyless("bzmpop", -5, WRITE | flags::BLOCKING, pop::bzmpop),
];

/// The sorted set at `key`: None if there is no such key, WRONGTYPE if the
/// key holds something else.
fn lookup<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a SortedSet>, Reply> {
    match ctx.db.get(key, ctx.now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::ZSet(z),
            ..
        }) => Ok(Some(z)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// Like [`lookup`], for modification. Callers finish with [`after_write`].
fn lookup_mut<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut SortedSet>, Reply> {
    match ctx.db.get_mut(key, ctx.now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::ZSet(z),
            ..
        }) => Ok(Some(z)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// After members were removed from or changed in the set at `key`:
/// deletes the key if the set is now empty (Redis keeps no empty sets) and
/// signals watchers if anything changed.
fn after_write(ctx: &mut Ctx, key: &[u8], changed: bool) {
    if !changed {
        return;
    }
    let empty = matches!(ctx.db.get(key, ctx.now_ms), Some(Entry { value: Value::ZSet(z), .. }) if z.is_empty());
    if empty {
        ctx.db.remove(key);
    } else {
        ctx.db.signal_modified(key);
    }
}

fn resp3(ctx: &mut Ctx) -> bool {
    ctx.me().protocol == Protocol::Resp3
}

/// Members with their scores as Redis replies with them: a flat array in
/// RESP2, an array of [member, score] pairs when `pairs` (RESP3).
fn with_scores_reply(items: Vec<(Vec<u8>, f64)>, pairs: bool) -> Reply {
    if pairs {
        Reply::Array(
            items
                .into_iter()
                .map(|(m, s)| Reply::Array(vec![Reply::Bulk(m), Reply::Double(s)]))
                .collect(),
        )
    } else {
        Reply::Array(
            items
                .into_iter()
                .flat_map(|(m, s)| [Reply::Bulk(m), Reply::Double(s)])
                .collect(),
        )
    }
}

/// `getLongFromObjectOrReply`: a 64-bit integer or the standard error.
fn parse_long(arg: &[u8]) -> Result<i64, Reply> {
    crate::numbers::parse_i64(arg).ok_or_else(Reply::not_integer)
}

#[cfg(test)]
mod tests;
