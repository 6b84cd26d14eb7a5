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
use crate::command::{flags, spec, CommandSpec, Ctx, FIRST_KEY, NO_KEYS};
use crate::keyspace::Entry;
use crate::reply::Reply;
use crate::types::zset::SortedSet;
use crate::value::Value;

const READ: u32 = flags::READONLY;
const READ_FAST: u32 = flags::READONLY | flags::FAST;
const WRITE: u32 = flags::WRITE;
const WRITE_FAST: u32 = flags::WRITE | flags::FAST;
const GROW_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;

/// Arity, flags and key positions as `COMMAND INFO` reports them in 7.0.
pub const COMMANDS: &[CommandSpec] = &[
    spec("zadd", -4, GROW_FAST, FIRST_KEY, add::zadd),
    spec("zincrby", 4, GROW_FAST, FIRST_KEY, add::zincrby),
    spec("zcard", 2, READ_FAST, FIRST_KEY, query::zcard),
    spec("zscore", 3, READ_FAST, FIRST_KEY, query::zscore),
    spec("zmscore", -3, READ_FAST, FIRST_KEY, query::zmscore),
    spec("zrank", 3, READ_FAST, FIRST_KEY, query::zrank),
    spec("zrevrank", 3, READ_FAST, FIRST_KEY, query::zrevrank),
    spec("zcount", 4, READ_FAST, FIRST_KEY, query::zcount),
    spec("zlexcount", 4, READ_FAST, FIRST_KEY, query::zlexcount),
    spec("zrange", -4, READ, FIRST_KEY, range::zrange),
    spec("zrevrange", -4, READ, FIRST_KEY, range::zrevrange),
    spec("zrangebyscore", -4, READ, FIRST_KEY, range::zrangebyscore),
    spec(
        "zrevrangebyscore",
        -4,
        READ,
        FIRST_KEY,
        range::zrevrangebyscore,
    ),
    spec("zrangebylex", -4, READ, FIRST_KEY, range::zrangebylex),
    spec("zrevrangebylex", -4, READ, FIRST_KEY, range::zrevrangebylex),
    spec(
        "zrangestore",
        -5,
        flags::WRITE | flags::DENYOOM,
        (1, 2, 1),
        range::zrangestore,
    ),
    spec(
        "zunionstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        FIRST_KEY,
        algebra::zunionstore,
    ),
    spec(
        "zinterstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        FIRST_KEY,
        algebra::zinterstore,
    ),
    spec(
        "zdiffstore",
        -4,
        flags::WRITE | flags::DENYOOM,
        FIRST_KEY,
        algebra::zdiffstore,
    ),
    spec("zunion", -3, READ, NO_KEYS, algebra::zunion),
    spec("zinter", -3, READ, NO_KEYS, algebra::zinter),
    spec("zdiff", -3, READ, NO_KEYS, algebra::zdiff),
    spec("zintercard", -3, READ, NO_KEYS, algebra::zintercard),
    spec("zscan", -3, READ | flags::RANDOM, FIRST_KEY, scan::zscan),
    spec(
        "zrandmember",
        -2,
        READ | flags::RANDOM,
        FIRST_KEY,
        random::zrandmember,
    ),
    spec("zrem", -3, WRITE_FAST, FIRST_KEY, remove::zrem),
    spec(
        "zremrangebyrank",
        4,
        WRITE,
        FIRST_KEY,
        remove::zremrangebyrank,
    ),
    spec(
        "zremrangebyscore",
        4,
        WRITE,
        FIRST_KEY,
        remove::zremrangebyscore,
    ),
    spec(
        "zremrangebylex",
        4,
        WRITE,
        FIRST_KEY,
        remove::zremrangebylex,
    ),
    spec("zpopmin", -2, WRITE_FAST, FIRST_KEY, pop::zpopmin),
    spec("zpopmax", -2, WRITE_FAST, FIRST_KEY, pop::zpopmax),
    spec("zmpop", -4, WRITE, NO_KEYS, pop::zmpop),
    spec(
        "bzpopmin",
        -3,
        WRITE_FAST | flags::NOSCRIPT | flags::BLOCKING,
        (1, -2, 1),
        pop::bzpopmin,
    ),
    spec(
        "bzpopmax",
        -3,
        WRITE_FAST | flags::NOSCRIPT | flags::BLOCKING,
        (1, -2, 1),
        pop::bzpopmax,
    ),
    spec("bzmpop", -5, WRITE | flags::BLOCKING, NO_KEYS, pop::bzmpop),
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

/// The node's `zset-max-listpack-*` settings, which every write of a
/// sorted set applies (see [`ListpackLimits`]).
pub fn listpack_limits(ctx: &Ctx) -> crate::types::zset::ListpackLimits {
    use crate::server::config::{param, Param};
    let read =
        |param: Param, default: usize| ctx.server.config.value(param).parse().unwrap_or(default);
    crate::types::zset::ListpackLimits {
        entries: read(
            param!("zset-max-listpack-entries"),
            crate::types::zset::LISTPACK_MAX_ENTRIES,
        ),
        value: read(
            param!("zset-max-listpack-value"),
            crate::types::zset::LISTPACK_MAX_VALUE,
        ),
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
