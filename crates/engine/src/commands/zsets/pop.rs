//! Pops: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking BZPOPMIN, BZPOPMAX and
//! BZMPOP (`genericZpopCommand`, `blockingGenericZpopCommand`).
//!
//! A blocking pop that finds a member answers with it; one that finds
//! nothing blocks (see [`crate::blocking`]), or inside MULTI or a script
//! answers at once with the null array a timeout gets.

use crate::blocking::{parse_timeout_seconds, Wait};
use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;

use super::{after_write, lookup, lookup_mut, resp3, with_scores_reply};

/// ZPOPMIN key [count]: removes and returns the lowest-scored members.
pub fn zpopmin(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    zpop(ctx, args, false)
}

/// ZPOPMAX key [count]: removes and returns the highest-scored members.
pub fn zpopmax(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    zpop(ctx, args, true)
}

/// Without a count the reply is [member, score]; with one it is a flat
/// array in RESP2 and an array of [member, score] pairs in RESP3. A missing
/// key (or a count of 0) is an empty array.
fn zpop(ctx: &mut Ctx, args: &[Vec<u8>], max: bool) -> Reply {
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
    match lookup(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(_)) if count == Some(0) => return Reply::Array(Vec::new()),
        Ok(Some(_)) => {}
    }
    let popped = pop_from(ctx, key, max, count.unwrap_or(1));
    with_scores_reply(popped, pairs)
}

/// Pops up to `count` members from the set at `key` (which exists and is a
/// sorted set), deleting the key if it empties.
fn pop_from(ctx: &mut Ctx, key: &[u8], max: bool, count: i64) -> Vec<(Vec<u8>, f64)> {
    let mut popped = Vec::new();
    if let Ok(Some(zset)) = lookup_mut(ctx, key) {
        let wanted = usize::try_from(count).unwrap_or(usize::MAX).min(zset.len());
        popped.reserve(wanted);
        while popped.len() < wanted {
            match zset.pop(max) {
                Some(entry) => popped.push(entry),
                None => break,
            }
        }
    }
    ctx.charge(popped.len());
    after_write(ctx, key, !popped.is_empty());
    popped
}

/// The first of `keys` that holds a non-empty sorted set, or WRONGTYPE if
/// the first existing key holds something else. `check_all` makes every
/// existing key count (the blocking pops), not only the first.
fn first_nonempty(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    check_all: bool,
) -> Result<Option<usize>, Reply> {
    for (i, key) in keys.iter().enumerate() {
        match lookup(ctx, key)? {
            None => continue,
            Some(zset) if zset.is_empty() && check_all => continue,
            Some(_) => return Ok(Some(i)),
        }
    }
    Ok(None)
}

/// BZPOPMIN key [key ...] timeout: [key, member, score] from the first
/// non-empty set.
pub fn bzpopmin(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bzpop(ctx, args, false)
}

/// BZPOPMAX key [key ...] timeout.
pub fn bzpopmax(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    bzpop(ctx, args, true)
}

fn bzpop(ctx: &mut Ctx, args: &[Vec<u8>], max: bool) -> Reply {
    let timeout = match parse_timeout_seconds(&args[args.len() - 1]) {
        Err(error) => return error,
        Ok(timeout) => timeout,
    };
    let keys = &args[1..args.len() - 1];
    let found = match first_nonempty(ctx, keys, true) {
        Err(wrong_type) => return wrong_type,
        Ok(found) => found,
    };
    match found {
        Some(i) => bzpop_reply(ctx, &keys[i], max),
        None if !ctx.may_block() => Reply::NullArray,
        None => ctx.block(keys.to_vec(), timeout, Wait::ZsetPop { max, count: None }),
    }
}

/// `[key, member, score]` popped from the non-empty set at `key`.
fn bzpop_reply(ctx: &mut Ctx, key: &[u8], max: bool) -> Reply {
    let mut reply = vec![Reply::bulk(key)];
    for (member, score) in pop_from(ctx, key, max, 1) {
        reply.push(Reply::Bulk(member));
        reply.push(Reply::Double(score));
    }
    Reply::Array(reply)
}

/// `[key, [[member, score], ...]]` popped from the non-empty set at `key`.
fn mpop_reply(ctx: &mut Ctx, key: &[u8], max: bool, count: i64) -> Reply {
    let popped = pop_from(ctx, key, max, count);
    Reply::Array(vec![Reply::bulk(key), with_scores_reply(popped, true)])
}

/// Serves a client blocked in BZPOPMIN/BZPOPMAX (`count: None`) or BZMPOP
/// from the sorted set at `key`, if it has members.
pub(crate) fn serve_pop(ctx: &mut Ctx, key: &[u8], max: bool, count: Option<i64>) -> Option<Reply> {
    if !matches!(lookup(ctx, key), Ok(Some(zset)) if !zset.is_empty()) {
        return None;
    }
    Some(match count {
        None => bzpop_reply(ctx, key, max),
        Some(count) => mpop_reply(ctx, key, max, count),
    })
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: [key, [[member,
/// score], ...]] from the first existing key, or a null array.
pub fn zmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    mpop(ctx, args, 1, false)
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count].
pub fn bzmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    mpop(ctx, args, 2, true)
}

fn mpop(ctx: &mut Ctx, args: &[Vec<u8>], numkeys_at: usize, blocking: bool) -> Reply {
    let numkeys = match parse_i64(&args[numkeys_at]) {
        Some(n) if n >= 1 => n as usize,
        _ => return Reply::error("ERR numkeys should be greater than 0"),
    };
    let where_at = match numkeys_at
        .checked_add(numkeys)
        .and_then(|i| i.checked_add(1))
    {
        Some(i) if i < args.len() => i,
        _ => return Reply::syntax_error(),
    };
    let max = if args[where_at].eq_ignore_ascii_case(b"min") {
        false
    } else if args[where_at].eq_ignore_ascii_case(b"max") {
        true
    } else {
        return Reply::syntax_error();
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && args[j].eq_ignore_ascii_case(b"count") && j + 1 < args.len() {
            match parse_i64(&args[j + 1]) {
                Some(n) if n >= 1 => count = Some(n),
                _ => return Reply::error("ERR count should be greater than 0"),
            }
            j += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    let timeout = if blocking {
        match parse_timeout_seconds(&args[1]) {
            Err(error) => return error,
            Ok(timeout) => Some(timeout),
        }
    } else {
        None
    };
    let keys = &args[numkeys_at + 1..where_at];
    let found = match first_nonempty(ctx, keys, blocking) {
        Err(wrong_type) => return wrong_type,
        Ok(found) => found,
    };
    let count = count.unwrap_or(1);
    match (found, timeout) {
        (Some(i), _) => mpop_reply(ctx, &keys[i], max, count),
        (None, Some(timeout)) if ctx.may_block() => {
            let wait = Wait::ZsetPop {
                max,
                count: Some(count),
            };
            ctx.block(keys.to_vec(), timeout, wait)
        }
        (None, _) => Reply::NullArray,
    }
}
