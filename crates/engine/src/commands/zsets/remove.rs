//! Removal: ZREM, ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX. A set
//! left empty is deleted with its key.

use crate::command::Ctx;
use crate::reply::Reply;
use crate::types::zset::{LexRange, ScoreRange};

use super::{after_write, lookup_mut, parse_long};

/// ZREM key member [member ...]: how many of the members were removed.
pub fn zrem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let removed = match lookup_mut(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Integer(0),
        // Redis stops at the member that empties the set.
        Ok(Some(zset)) => {
            let mut removed = 0;
            for member in &args[2..] {
                if zset.remove(member) {
                    removed += 1;
                }
                if zset.is_empty() {
                    break;
                }
            }
            removed
        }
    };
    after_write(ctx, key, removed > 0);
    Reply::Integer(removed)
}

/// ZREMRANGEBYRANK key start stop: removes positions start..=stop
/// (negative counts from the end); replies with how many went.
pub fn zremrangebyrank(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (start, end) = match (parse_long(&args[2]), parse_long(&args[3])) {
        (Ok(start), Ok(end)) => (start, end),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let key = &args[1];
    let removed = match lookup_mut(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(zset)) => {
            let len = zset.len() as i64;
            let start = if start < 0 {
                (start + len).max(0)
            } else {
                start
            };
            let end = if end < 0 { end + len } else { end };
            if start > end || start >= len {
                return Reply::Integer(0);
            }
            zset.remove_range_by_rank(start as usize, end.min(len - 1) as usize)
        }
    };
    ctx.charge(removed);
    after_write(ctx, key, removed > 0);
    Reply::Integer(removed as i64)
}

/// ZREMRANGEBYSCORE key min max: removes the members in a score range.
pub fn zremrangebyscore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(range) = ScoreRange::parse(&args[2], &args[3]) else {
        return Reply::error("ERR min or max is not a float");
    };
    let key = &args[1];
    let removed = match lookup_mut(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(zset)) => zset.remove_range_by_score(&range),
    };
    ctx.charge(removed);
    after_write(ctx, key, removed > 0);
    Reply::Integer(removed as i64)
}

/// ZREMRANGEBYLEX key min max: removes the members in a lexicographic range.
pub fn zremrangebylex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(range) = LexRange::parse(&args[2], &args[3]) else {
        return Reply::error("ERR min or max not valid string range item");
    };
    let key = &args[1];
    let removed = match lookup_mut(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(zset)) => zset.remove_range_by_lex(&range),
    };
    ctx.charge(removed);
    after_write(ctx, key, removed > 0);
    Reply::Integer(removed as i64)
}
