//! Removal: ZREM, ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX,
//! ZPOPMIN, ZPOPMAX. A set left empty is deleted with its key.

use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::types::zset::{LexRange, ScoreRange};

use super::{after_write, lookup_mut, parse_long, resp3, with_scores_reply};

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

/// ZPOPMIN key [count]: removes and returns the lowest-scored members.
pub fn zpopmin(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    pop(ctx, args, false)
}

/// ZPOPMAX key [count]: removes and returns the highest-scored members.
pub fn zpopmax(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    pop(ctx, args, true)
}

/// Without a count the reply is [member, score]; with one it is a flat
/// array in RESP2 and an array of [member, score] pairs in RESP3.
fn pop(ctx: &mut Ctx, args: &[Vec<u8>], max: bool) -> Reply {
    if args.len() > 3 {
        return Reply::syntax_error();
    }
    let count = match args.get(2) {
        None => None,
        // `getPositiveLongFromObjectOrReply`: one message for both failures.
        Some(arg) => match parse_i64(arg) {
            Some(n) if n >= 0 => Some(n),
            _ => return Reply::error("ERR value is out of range, must be positive"),
        },
    };
    let pairs = count.is_some() && resp3(ctx);
    let key = &args[1];
    let popped = match lookup_mut(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => Vec::new(),
        Ok(Some(_)) if count == Some(0) => Vec::new(),
        Ok(Some(zset)) => {
            let wanted = count.map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX));
            let mut popped = Vec::new();
            while popped.len() < wanted {
                match zset.pop(max) {
                    Some(entry) => popped.push(entry),
                    None => break,
                }
            }
            popped
        }
    };
    ctx.charge(popped.len());
    after_write(ctx, key, !popped.is_empty());
    with_scores_reply(popped, pairs)
}
