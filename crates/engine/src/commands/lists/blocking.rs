//! The blocking list commands — BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP —
//! and LMPOP, their non-blocking relative (Redis's `blockingPopGenericCommand`,
//! `blmoveGenericCommand`, `lmpopGenericCommand`).
//!
//! Each first acts like its non-blocking form on the first of its keys
//! that holds a non-empty list; only if there is none does it block (see
//! [`crate::blocking`]), or, inside MULTI/EXEC or a script, answer at once
//! as a timeout would: a null array (a null for BLMOVE/BRPOPLPUSH).

use super::{after_removal, move_element, parse_end, read_list, write_list, End};
use crate::blocking::{parse_timeout_seconds, Wait};
use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;

/// BLPOP key [key ...] timeout: `[key, element]` from the head of the
/// first non-empty list, waiting up to `timeout` seconds (0: forever).
pub(super) fn blpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let last = args.len() - 1;
    blocking_pop(ctx, &args[1..last], &args[last], End::Head, None)
}

/// BRPOP key [key ...] timeout: BLPOP from the tail.
pub(super) fn brpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let last = args.len() - 1;
    blocking_pop(ctx, &args[1..last], &args[last], End::Tail, None)
}

/// BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]:
/// `[key, [element, ...]]`, up to `count` elements from the first
/// non-empty list.
pub(super) fn blmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match parse_mpop(args, 2) {
        Err(e) => e,
        Ok((keys, end, count)) => blocking_pop(ctx, keys, &args[1], end, Some(count)),
    }
}

/// LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]: BLMPOP that never
/// waits (a null array when every list is empty).
pub(super) fn lmpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (keys, end, count) = match parse_mpop(args, 1) {
        Err(e) => return e,
        Ok(parsed) => parsed,
    };
    match first_nonempty(ctx, keys) {
        Err(e) => e,
        Ok(None) => Reply::NullArray,
        Ok(Some(key)) => pop_reply(ctx, &key, end, Some(count)),
    }
}

/// BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout: LMOVE, waiting
/// for `source` to exist.
pub(super) fn blmove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (from, to) = match (parse_end(&args[3]), parse_end(&args[4])) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    match parse_timeout_seconds(&args[5]) {
        Err(e) => e,
        Ok(timeout) => blocking_move(ctx, args, from, to, timeout),
    }
}

/// BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT.
pub(super) fn brpoplpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match parse_timeout_seconds(&args[3]) {
        Err(e) => e,
        Ok(timeout) => blocking_move(ctx, args, End::Tail, End::Head, timeout),
    }
}

fn blocking_move(ctx: &mut Ctx, args: &[Vec<u8>], from: End, to: End, timeout: i64) -> Reply {
    let (source, destination) = (&args[1], &args[2]);
    let exists = match read_list(ctx, source) {
        Err(e) => return e,
        Ok(list) => list.is_some(),
    };
    match exists {
        true => move_element(ctx, source, destination, from, to),
        false if !ctx.may_block() => Reply::Null,
        false => {
            let wait = Wait::ListMove {
                destination: destination.clone(),
                from_head: from == End::Head,
                to_head: to == End::Head,
            };
            ctx.block(vec![source.clone()], timeout, wait)
        }
    }
}

/// `lmpopGenericCommand`'s parsing: the keys after `numkeys_at`, the end
/// and the count (1 without COUNT), with Redis's errors in its order.
fn parse_mpop(args: &[Vec<u8>], numkeys_at: usize) -> Result<(&[Vec<u8>], End, usize), Reply> {
    let numkeys = match parse_i64(&args[numkeys_at]) {
        Some(n) if n >= 1 => n as usize,
        _ => return Err(Reply::error("ERR numkeys should be greater than 0")),
    };
    let where_at = match numkeys_at
        .checked_add(numkeys)
        .and_then(|i| i.checked_add(1))
    {
        Some(i) if i < args.len() => i,
        _ => return Err(Reply::syntax_error()),
    };
    let end = parse_end(&args[where_at])?;
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && args[j].eq_ignore_ascii_case(b"count") && j + 1 < args.len() {
            match parse_i64(&args[j + 1]) {
                Some(n) if n >= 1 => count = Some(n as usize),
                _ => return Err(Reply::error("ERR count should be greater than 0")),
            }
            j += 2;
        } else {
            return Err(Reply::syntax_error());
        }
    }
    Ok((&args[numkeys_at + 1..where_at], end, count.unwrap_or(1)))
}

fn blocking_pop(
    ctx: &mut Ctx,
    keys: &[Vec<u8>],
    timeout: &[u8],
    end: End,
    count: Option<usize>,
) -> Reply {
    let timeout = match parse_timeout_seconds(timeout) {
        Err(e) => return e,
        Ok(t) => t,
    };
    match first_nonempty(ctx, keys) {
        Err(e) => e,
        Ok(Some(key)) => pop_reply(ctx, &key, end, count),
        Ok(None) if !ctx.may_block() => Reply::NullArray,
        Ok(None) => {
            let wait = Wait::ListPop {
                from_head: end == End::Head,
                count,
            };
            ctx.block(keys.to_vec(), timeout, wait)
        }
    }
}

/// The first key holding a list, or WRONGTYPE if a key before it holds
/// something else.
fn first_nonempty(ctx: &mut Ctx, keys: &[Vec<u8>]) -> Result<Option<Vec<u8>>, Reply> {
    for key in keys {
        if let Some(list) = read_list(ctx, key)? {
            if !list.is_empty() {
                return Ok(Some(key.clone()));
            }
        }
    }
    Ok(None)
}

/// Pops from the non-empty list at `key`: `[key, element]` without a
/// count, `[key, [element, ...]]` with one (elements in popping order).
fn pop_reply(ctx: &mut Ctx, key: &[u8], end: End, count: Option<usize>) -> Reply {
    let (popped, now_empty) = match write_list(ctx, key) {
        Ok(Some(list)) => {
            let take = count.unwrap_or(1).min(list.len());
            let mut popped = Vec::with_capacity(take);
            for _ in 0..take {
                let element = match end {
                    End::Head => list.pop_front(),
                    End::Tail => list.pop_back(),
                };
                popped.extend(element.map(Reply::Bulk));
            }
            (popped, list.is_empty())
        }
        Ok(None) | Err(_) => return Reply::NullArray,
    };
    after_removal(ctx, key, now_empty);
    ctx.charge(popped.len());
    let value = match count {
        Some(_) => Reply::Array(popped),
        None => popped.into_iter().next().unwrap_or(Reply::Null),
    };
    Reply::Array(vec![Reply::bulk(key), value])
}

fn holds_elements(ctx: &mut Ctx, key: &[u8]) -> bool {
    matches!(read_list(ctx, key), Ok(Some(list)) if !list.is_empty())
}

/// Serves a client blocked in BLPOP/BRPOP/BLMPOP from the list at `key`,
/// if it has elements.
pub(crate) fn serve_pop(
    ctx: &mut Ctx,
    key: &[u8],
    from_head: bool,
    count: Option<usize>,
) -> Option<Reply> {
    if !holds_elements(ctx, key) {
        return None;
    }
    let end = if from_head { End::Head } else { End::Tail };
    Some(pop_reply(ctx, key, end, count))
}

/// Serves a client blocked in BLMOVE/BRPOPLPUSH from the list at `key`:
/// the moved element, or WRONGTYPE (nothing moved) if the destination
/// holds something else — either way the client's wait is over.
pub(crate) fn serve_move(
    ctx: &mut Ctx,
    key: &[u8],
    destination: &[u8],
    from_head: bool,
    to_head: bool,
) -> Option<Reply> {
    if !holds_elements(ctx, key) {
        return None;
    }
    let from = if from_head { End::Head } else { End::Tail };
    let to = if to_head { End::Head } else { End::Tail };
    Some(move_element(ctx, key, destination, from, to))
}
