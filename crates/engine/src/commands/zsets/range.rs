//! The ZRANGE family, one implementation as in Redis (`zrangeGenericCommand`):
//!
//! ```text
//! ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]
//! ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]
//! ZREVRANGE key start stop [WITHSCORES]
//! Z[REV]RANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]
//! Z[REV]RANGEBYLEX key min max [LIMIT offset count]
//! ```
//!
//! The older commands are ZRANGE with the kind of range (and direction)
//! fixed, so BYSCORE, BYLEX and REV are syntax errors there. With REV (or
//! the REV commands) a score or lex range is given as max then min.

use crate::command::Ctx;
use crate::reply::Reply;
use crate::types::zset::{LexRange, ScoreRange, SortedSet};
use crate::value::Value;

use super::{lookup, parse_long, resp3, with_scores_reply};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// ZRANGE and ZRANGESTORE: BYSCORE or BYLEX may pick; rank otherwise.
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// ZRANGE and ZRANGESTORE: REV may pick.
    Auto,
    Forward,
    Reverse,
}

/// A parsed range of any kind.
enum Bounds {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

/// Everything after the key and the two bounds.
struct Request {
    bounds: Bounds,
    reverse: bool,
    with_scores: bool,
    offset: i64,
    /// LIMIT's count; negative means no limit.
    limit: i64,
}

pub fn zrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    reply_range(ctx, args, Kind::Auto, Direction::Auto)
}

pub fn zrevrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    reply_range(ctx, args, Kind::Rank, Direction::Reverse)
}

pub fn zrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    reply_range(ctx, args, Kind::Score, Direction::Forward)
}

pub fn zrevrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    reply_range(ctx, args, Kind::Score, Direction::Reverse)
}

pub fn zrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    reply_range(ctx, args, Kind::Lex, Direction::Forward)
}

pub fn zrevrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    reply_range(ctx, args, Kind::Lex, Direction::Reverse)
}

/// ZRANGESTORE dst src ...: stores the range (with scores) at `dst`,
/// replacing whatever was there, and replies with its size. An empty
/// result deletes `dst`.
pub fn zrangestore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let request = match parse(&args[2..], true, Kind::Auto, Direction::Auto) {
        Ok(request) => request,
        Err(error) => return error,
    };
    let (items, expected_len) = match lookup(ctx, &args[2]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => (Vec::new(), 0),
        Ok(Some(zset)) => {
            let items = collect(zset, &request);
            // Redis sizes the destination up front only for rank ranges.
            let expected_len = if matches!(request.bounds, Bounds::Rank(..)) {
                items.len()
            } else {
                0
            };
            (items, expected_len)
        }
    };
    ctx.charge(items.len());
    let dst = &args[1];
    if items.is_empty() {
        ctx.db.remove(dst);
        return Reply::Integer(0);
    }
    let count = items.len();
    let mut stored = SortedSet::with_expected_len(expected_len, super::listpack_limits(ctx));
    for (member, score) in items {
        stored.insert(&member, score);
    }
    ctx.db.set(dst, Value::ZSet(stored), false);
    Reply::Integer(count as i64)
}

fn reply_range(ctx: &mut Ctx, args: &[Vec<u8>], kind: Kind, direction: Direction) -> Reply {
    let request = match parse(&args[1..], false, kind, direction) {
        Ok(request) => request,
        Err(error) => return error,
    };
    let pairs = request.with_scores && resp3(ctx);
    let items = match lookup(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(zset)) => collect(zset, &request),
    };
    ctx.charge(items.len());
    if request.with_scores {
        ctx.charge_ns(items.len() as u64 * crate::cost::SCORE_NS);
        with_scores_reply(items, pairs)
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

/// Parses `key min max [options]` (`args[0]` is the source key). Errors
/// come in Redis's order: options (including LIMIT's numbers), conflicts
/// between options, then the bounds.
fn parse(
    args: &[Vec<u8>],
    store: bool,
    mut kind: Kind,
    mut direction: Direction,
) -> Result<Request, Reply> {
    let mut with_scores = false;
    let (mut offset, mut limit) = (0, -1);
    let mut j = 3;
    while j < args.len() {
        let opt = args[j].to_ascii_lowercase();
        let left = args.len() - j - 1;
        match opt.as_slice() {
            b"withscores" if !store => with_scores = true,
            b"limit" if left >= 2 => {
                offset = parse_long(&args[j + 1])?;
                limit = parse_long(&args[j + 2])?;
                j += 2;
            }
            b"rev" if direction == Direction::Auto => direction = Direction::Reverse,
            b"bylex" if kind == Kind::Auto => kind = Kind::Lex,
            b"byscore" if kind == Kind::Auto => kind = Kind::Score,
            _ => return Err(Reply::syntax_error()),
        }
        j += 1;
    }
    let reverse = direction == Direction::Reverse;
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    // Redis tests the count against -1, so "LIMIT 0 -1" passes with a rank range.
    if limit != -1 && kind == Kind::Rank {
        return Err(Reply::error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if with_scores && kind == Kind::Lex {
        return Err(Reply::error(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let (min, max) = if reverse && kind != Kind::Rank {
        (&args[2], &args[1])
    } else {
        (&args[1], &args[2])
    };
    let bounds = match kind {
        Kind::Score => Bounds::Score(
            ScoreRange::parse(min, max)
                .ok_or_else(|| Reply::error("ERR min or max is not a float"))?,
        ),
        Kind::Lex => Bounds::Lex(
            LexRange::parse(min, max)
                .ok_or_else(|| Reply::error("ERR min or max not valid string range item"))?,
        ),
        Kind::Rank | Kind::Auto => Bounds::Rank(parse_long(min)?, parse_long(max)?),
    };
    Ok(Request {
        bounds,
        reverse,
        with_scores,
        offset,
        limit,
    })
}

/// The members (and scores) a request selects.
fn collect(zset: &SortedSet, request: &Request) -> Vec<(Vec<u8>, f64)> {
    let reverse = request.reverse;
    // A negative offset walks off the end in Redis's loop: nothing is returned.
    let offset = usize::try_from(request.offset).ok();
    let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
    let owned = |(m, s): (&[u8], f64)| (m.to_vec(), s);
    match &request.bounds {
        Bounds::Rank(start, end) => {
            let len = zset.len() as i64;
            let start = if *start < 0 {
                (start + len).max(0)
            } else {
                *start
            };
            let end = if *end < 0 { end + len } else { *end };
            if start > end || start >= len {
                return Vec::new();
            }
            let end = end.min(len - 1);
            let count = (end - start + 1) as usize;
            zset.iter_from_rank(start as usize, reverse)
                .take(count)
                .map(owned)
                .collect()
        }
        Bounds::Score(range) => match offset {
            Some(offset) => zset
                .range_by_score(range, reverse, offset)
                .take(limit)
                .map(owned)
                .collect(),
            None => Vec::new(),
        },
        Bounds::Lex(range) => match offset {
            Some(offset) => zset
                .range_by_lex(range, reverse, offset)
                .take(limit)
                .map(owned)
                .collect(),
            None => Vec::new(),
        },
    }
}
