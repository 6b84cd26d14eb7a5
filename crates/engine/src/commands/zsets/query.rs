//! Point queries: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT.

use crate::command::Ctx;
use crate::reply::Reply;
use crate::types::zset::{LexRange, ScoreRange};

use super::lookup;

/// ZCARD key: the number of members, 0 for a missing key.
pub fn zcard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match lookup(ctx, &args[1]) {
        Err(wrong_type) => wrong_type,
        Ok(zset) => Reply::Integer(zset.map_or(0, |z| z.len()) as i64),
    }
}

/// ZSCORE key member: the score, or nil.
pub fn zscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match lookup(ctx, &args[1]) {
        Err(wrong_type) => wrong_type,
        Ok(zset) => zset
            .and_then(|z| z.score(&args[2]))
            .map_or(Reply::Null, Reply::Double),
    }
}

/// ZMSCORE key member [member ...]: one score or nil per member; a
/// missing key is an empty set.
pub fn zmscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match lookup(ctx, &args[1]) {
        Err(wrong_type) => wrong_type,
        Ok(zset) => Reply::Array(
            args[2..]
                .iter()
                .map(|m| {
                    zset.and_then(|z| z.score(m))
                        .map_or(Reply::Null, Reply::Double)
                })
                .collect(),
        ),
    }
}

/// ZRANK key member: the 0-based position by ascending score, or nil.
/// (WITHSCORE came in Redis 7.2; 7.0's arity refuses it.)
pub fn zrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rank(ctx, args, false)
}

/// ZREVRANK key member: the 0-based position by descending score, or nil.
pub fn zrevrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rank(ctx, args, true)
}

fn rank(ctx: &mut Ctx, args: &[Vec<u8>], reverse: bool) -> Reply {
    let (reply, size) = match lookup(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(zset) => (
            zset.and_then(|z| z.rank(&args[2], reverse))
                .map_or(Reply::Null, |r| Reply::Integer(r as i64)),
            zset.map_or(0, |z| z.len()),
        ),
    };
    ctx.charge_log(1, size);
    reply
}

/// ZCOUNT key min max: members with a score in the range, in O(log N).
/// The range is checked before the key.
pub fn zcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(range) = ScoreRange::parse(&args[2], &args[3]) else {
        return Reply::error("ERR min or max is not a float");
    };
    match lookup(ctx, &args[1]) {
        Err(wrong_type) => wrong_type,
        Ok(zset) => Reply::Integer(zset.map_or(0, |z| z.count_by_score(&range)) as i64),
    }
}

/// ZLEXCOUNT key min max: members in a lexicographic range (`[a`, `(a`,
/// `-`, `+`).
pub fn zlexcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(range) = LexRange::parse(&args[2], &args[3]) else {
        return Reply::error("ERR min or max not valid string range item");
    };
    match lookup(ctx, &args[1]) {
        Err(wrong_type) => wrong_type,
        Ok(zset) => Reply::Integer(zset.map_or(0, |z| z.count_by_lex(&range)) as i64),
    }
}
