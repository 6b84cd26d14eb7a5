//! List commands: LPUSH, LPOP, LRANGE, LREM, ... (Redis's `t_list.c`).
//!
//! A list is a deque of strings; Redis's quicklist gives the same order, so
//! every reply here is comparable with Redis byte for byte. The blocking
//! variants (BLPOP, BLMOVE, ...) and LMPOP are in [`blocking`].

use std::collections::VecDeque;

use crate::command::{flags, spec, Args, CommandSpec, Ctx, FIRST_KEY, NO_KEYS};
use crate::keyspace::Entry;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::value::Value;

mod blocking;

pub(crate) use blocking::{serve_move, serve_pop};

type List = VecDeque<Vec<u8>>;

const PUSH: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;

pub const COMMANDS: &[CommandSpec] = &[
    spec("lpush", -3, PUSH, FIRST_KEY, lpush),
    spec("rpush", -3, PUSH, FIRST_KEY, rpush),
    spec("lpushx", -3, PUSH, FIRST_KEY, lpushx),
    spec("rpushx", -3, PUSH, FIRST_KEY, rpushx),
    spec("lpop", -2, flags::WRITE | flags::FAST, FIRST_KEY, lpop),
    spec("rpop", -2, flags::WRITE | flags::FAST, FIRST_KEY, rpop),
    spec("llen", 2, flags::READONLY | flags::FAST, FIRST_KEY, llen),
    spec("lrange", 4, flags::READONLY, FIRST_KEY, lrange),
    spec("lindex", 3, flags::READONLY, FIRST_KEY, lindex),
    spec("lpos", -3, flags::READONLY, FIRST_KEY, lpos),
    spec("lset", 4, flags::WRITE | flags::DENYOOM, FIRST_KEY, lset),
    spec(
        "linsert",
        5,
        flags::WRITE | flags::DENYOOM,
        FIRST_KEY,
        linsert,
    ),
    spec("lrem", 4, flags::WRITE, FIRST_KEY, lrem),
    spec("ltrim", 4, flags::WRITE, FIRST_KEY, ltrim),
    spec("lmove", 5, flags::WRITE | flags::DENYOOM, (1, 2, 1), lmove),
    spec(
        "rpoplpush",
        3,
        flags::WRITE | flags::DENYOOM,
        (1, 2, 1),
        rpoplpush,
    ),
    spec("blpop", -3, BLOCKING_POP, (1, -2, 1), blocking::blpop),
    spec("brpop", -3, BLOCKING_POP, (1, -2, 1), blocking::brpop),
    spec(
        "blmove",
        6,
        BLOCKING_POP | flags::DENYOOM,
        (1, 2, 1),
        blocking::blmove,
    ),
    spec(
        "brpoplpush",
        4,
        BLOCKING_POP | flags::DENYOOM,
        (1, 2, 1),
        blocking::brpoplpush,
    ),
    spec(
        "blmpop",
        -5,
        flags::WRITE | flags::BLOCKING,
        NO_KEYS,
        blocking::blmpop,
    ),
    spec("lmpop", -4, flags::WRITE, NO_KEYS, blocking::lmpop),
];

/// BLPOP, BRPOP, BLMOVE, BRPOPLPUSH: blocking, and refused in scripts in Redis 7.0.
const BLOCKING_POP: u32 = flags::WRITE | flags::NOSCRIPT | flags::BLOCKING;

/// Which end of a list an operation works on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Head,
    Tail,
}

fn read_list<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a List>, Reply> {
    match ctx.db.get(key, ctx.now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::List(list),
            ..
        }) => Ok(Some(list)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn write_list<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut List>, Reply> {
    let now = ctx.now_ms;
    match ctx.db.get_mut(key, now) {
        None => Ok(None),
        Some(Entry {
            value: Value::List(list),
            ..
        }) => Ok(Some(list)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// After an element was removed from the list at `key`: deletes the key
/// if the list is now empty (Redis never keeps empty lists), else signals
/// the change.
fn after_removal(ctx: &mut Ctx, key: &[u8], now_empty: bool) {
    if now_empty {
        ctx.db.remove(key);
    } else {
        ctx.db.signal_modified(key);
    }
}

/// Redis's `getLongFromObjectOrReply` for an index argument.
fn parse_index(arg: &[u8]) -> Result<i64, Reply> {
    parse_i64(arg).ok_or_else(Reply::not_integer)
}

/// `LEFT` or `RIGHT`, case-insensitively.
fn parse_end(arg: &[u8]) -> Result<End, Reply> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Tail)
    } else {
        Err(Reply::syntax_error())
    }
}

/// The inclusive index range that `start..=stop` (negative counting from
/// the end) selects in a list of `len`, or `None` when it is empty: the
/// rules of Redis's `addListRangeReply` and LTRIM.
fn clamp_range(len: usize, start: i64, stop: i64) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let stop = if stop < 0 { len + stop } else { stop };
    if start > stop || start >= len {
        return None;
    }
    Some((start as usize, stop.min(len - 1) as usize))
}

/// Resolves a possibly negative index to a position, if it is in range.
fn resolve_index(len: usize, index: i64) -> Option<usize> {
    let position = if index < 0 {
        index.checked_add(len as i64)?
    } else {
        index
    };
    usize::try_from(position).ok().filter(|&p| p < len)
}

/// LPUSH key element [element ...]: pushes each element at the head in
/// turn (so they end up reversed), replying with the new length.
fn lpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push(ctx, args, End::Head, false)
}

/// RPUSH key element [element ...]: appends the elements.
fn rpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push(ctx, args, End::Tail, false)
}

/// LPUSHX key element [element ...]: LPUSH only onto an existing list.
fn lpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push(ctx, args, End::Head, true)
}

/// RPUSHX key element [element ...]: RPUSH only onto an existing list.
fn rpushx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    push(ctx, args, End::Tail, true)
}

fn push(ctx: &mut Ctx, args: &[Vec<u8>], end: End, only_existing: bool) -> Reply {
    let key = &args[1];
    match read_list(ctx, key) {
        Err(e) => return e,
        Ok(None) if only_existing => return Reply::Integer(0),
        Ok(None) => ctx.db.set(key, Value::List(List::new()), false),
        Ok(Some(_)) => {}
    }
    let len = match write_list(ctx, key) {
        Ok(Some(list)) => {
            for element in &args[2..] {
                match end {
                    End::Head => list.push_front(element.clone()),
                    End::Tail => list.push_back(element.clone()),
                }
            }
            list.len()
        }
        Ok(None) | Err(_) => return Reply::wrong_type(),
    };
    ctx.db.signal_modified(key);
    ctx.charge(args.len() - 2);
    Reply::Integer(len as i64)
}

/// LPOP key [count]: removes and returns the first element, or with a
/// count an array of up to `count` elements. A missing key is a nil
/// (`$-1`), or with a count a nil array (`*-1`).
fn lpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    pop(ctx, args, End::Head)
}

/// RPOP key [count]: LPOP from the tail; with a count, the elements come
/// in the order they were popped (last first).
fn rpop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    pop(ctx, args, End::Tail)
}

fn pop(ctx: &mut Ctx, args: &[Vec<u8>], end: End) -> Reply {
    Args::handle(args, |args| pop_with(ctx, args, end))
}

fn pop_with(ctx: &mut Ctx, args: &mut Args, end: End) -> Result<Reply, Reply> {
    let key = args.next_bytes()?;
    let count = args.next_optional();
    args.finish_arity()?;
    let count = match count.map(parse_i64) {
        None => None,
        Some(Some(n)) if n >= 0 => Some(n as u64),
        Some(_) => return Err(Reply::error("ERR value is out of range, must be positive")),
    };
    let (reply, now_empty) = match write_list(ctx, key) {
        Err(e) => return Err(e),
        Ok(None) if count.is_some() => return Ok(Reply::NullArray),
        Ok(None) => return Ok(Reply::Null),
        Ok(Some(_)) if count == Some(0) => return Ok(Reply::Array(Vec::new())),
        Ok(Some(list)) => {
            let take = count.map_or(1, |n| n.min(list.len() as u64) as usize);
            let mut popped = Vec::with_capacity(take);
            for _ in 0..take {
                let element = match end {
                    End::Head => list.pop_front(),
                    End::Tail => list.pop_back(),
                };
                popped.extend(element.map(Reply::Bulk));
            }
            let reply = match count {
                Some(_) => Reply::Array(popped),
                None => popped.pop().unwrap_or(Reply::Null),
            };
            (reply, list.is_empty())
        }
    };
    after_removal(ctx, key, now_empty);
    if let Reply::Array(items) = &reply {
        let n = items.len();
        ctx.charge(n);
    }
    Ok(reply)
}

/// LLEN key: the length, 0 for a missing key.
fn llen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match read_list(ctx, &args[1]) {
        Err(e) => e,
        Ok(list) => Reply::Integer(list.map_or(0, |l| l.len() as i64)),
    }
}

/// LRANGE key start stop: the elements from `start` to `stop` inclusive,
/// negative indexes counting from the end; out-of-range parts are
/// clipped. The indexes are checked before the key.
fn lrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Args::handle(args, |args| {
        let key = args.next_bytes()?;
        let (start, stop) = (args.next_int()?, args.next_int()?);
        let items: Vec<Reply> = match read_list(ctx, key)? {
            None => Vec::new(),
            Some(list) => match clamp_range(list.len(), start, stop) {
                None => Vec::new(),
                Some((from, to)) => list.range(from..=to).map(Reply::bulk).collect(),
            },
        };
        ctx.charge(items.len());
        Ok(Reply::Array(items))
    })
}

/// LINDEX key index: one element, or nil. A missing key is nil before the
/// index is even parsed.
fn lindex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Args::handle(args, |args| {
        let Some(list) = read_list(ctx, args.next_bytes()?)? else {
            return Ok(Reply::Null);
        };
        let index = args.next_int()?;
        Ok(match resolve_index(list.len(), index) {
            Some(i) => Reply::bulk(&list[i]),
            None => Reply::Null,
        })
    })
}

/// LSET key index element: replaces one element.
fn lset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let list = match write_list(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) => return Reply::error("ERR no such key"),
        Ok(Some(list)) => list,
    };
    let index = match parse_index(&args[2]) {
        Ok(index) => index,
        Err(e) => return e,
    };
    let Some(i) = resolve_index(list.len(), index) else {
        return Reply::error("ERR index out of range");
    };
    list[i] = args[3].clone();
    ctx.db.signal_modified(&args[1]);
    Reply::ok()
}

/// LINSERT key BEFORE|AFTER pivot element: inserts next to the first
/// occurrence of `pivot`; replies with the new length, -1 if the pivot is
/// absent, 0 if the key is.
fn linsert(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let after = if args[2].eq_ignore_ascii_case(b"after") {
        true
    } else if args[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Reply::syntax_error();
    };
    let (reply, scanned) = match write_list(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(list)) => match list.iter().position(|e| *e == args[3]) {
            None => (Reply::Integer(-1), list.len()),
            Some(i) => {
                list.insert(if after { i + 1 } else { i }, args[4].clone());
                (Reply::Integer(list.len() as i64), i)
            }
        },
    };
    if reply != Reply::Integer(-1) {
        ctx.db.signal_modified(&args[1]);
    }
    ctx.charge(scanned);
    reply
}

/// LREM key count element: removes up to `count` occurrences from the head
/// (`count` > 0), from the tail (`count` < 0), or all of them (0).
fn lrem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let count = match parse_index(&args[2]) {
        Ok(count) => count,
        Err(e) => return e,
    };
    let key = &args[1];
    let (removed, len_before, now_empty) = match write_list(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(list)) => {
            let len_before = list.len();
            let limit = if count == 0 {
                usize::MAX
            } else {
                count.unsigned_abs() as usize
            };
            let removed = remove_matches(list, &args[3], limit, count < 0);
            (removed, len_before, list.is_empty())
        }
    };
    if removed > 0 {
        after_removal(ctx, key, now_empty);
    }
    ctx.charge(len_before);
    Reply::Integer(removed as i64)
}

/// Removes up to `limit` elements equal to `target`, scanning from the
/// tail if `from_tail`; returns how many went.
fn remove_matches(list: &mut List, target: &[u8], limit: usize, from_tail: bool) -> usize {
    let mut removed = 0;
    let mut keep = |element: &Vec<u8>| {
        if removed < limit && element == target {
            removed += 1;
            false
        } else {
            true
        }
    };
    if from_tail {
        let mut kept: List = list.iter().rev().filter(|e| keep(e)).cloned().collect();
        kept.make_contiguous().reverse();
        *list = kept;
    } else {
        list.retain(|e| keep(e));
    }
    removed
}

/// LTRIM key start stop: keeps only the given range (same index rules as
/// LRANGE); an empty range deletes the key. Always replies OK.
fn ltrim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (start, stop) = match (parse_index(&args[2]), parse_index(&args[3])) {
        (Ok(start), Ok(stop)) => (start, stop),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let key = &args[1];
    let (removed, now_empty) = match write_list(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Reply::ok(),
        Ok(Some(list)) => {
            let len = list.len();
            match clamp_range(len, start, stop) {
                None => list.clear(),
                Some((from, to)) => {
                    list.truncate(to + 1);
                    list.drain(..from);
                }
            }
            (len - list.len(), list.is_empty())
        }
    };
    // Redis signals the key even when nothing was trimmed.
    after_removal(ctx, key, now_empty);
    ctx.charge(removed);
    Reply::ok()
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]: the
/// index of a matching element (or, with COUNT, an array of indexes).
fn lpos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        let option = &args[i];
        if option.eq_ignore_ascii_case(b"rank") && has_value {
            rank = match parse_i64(&args[i + 1]) {
                Some(0) => {
                    return Reply::error(
                        "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                    )
                }
                Some(n) => n,
                None => return Reply::not_integer(),
            };
        } else if option.eq_ignore_ascii_case(b"count") && has_value {
            match parse_i64(&args[i + 1]) {
                Some(n) if n >= 0 => count = Some(n),
                _ => return Reply::error("ERR COUNT can't be negative"),
            }
        } else if option.eq_ignore_ascii_case(b"maxlen") && has_value {
            match parse_i64(&args[i + 1]) {
                Some(n) if n >= 0 => maxlen = n,
                _ => return Reply::error("ERR MAXLEN can't be negative"),
            }
        } else {
            return Reply::syntax_error();
        }
        i += 2;
    }
    // As in Redis, negating i64::MIN leaves it negative: it then matches the
    // first element found from the tail.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let list = match read_list(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) if count.is_some() => return Reply::Array(Vec::new()),
        Ok(None) => return Reply::Null,
        Ok(Some(list)) => list,
    };
    let len = list.len();
    let mut positions: Vec<usize> = Vec::new();
    let mut matches: i64 = 0;
    let mut scanned = 0;
    for offset in 0..len {
        if maxlen != 0 && offset as i64 >= maxlen {
            break;
        }
        scanned += 1;
        let index = if from_tail { len - 1 - offset } else { offset };
        if list[index] != args[2] {
            continue;
        }
        matches += 1;
        if matches >= rank {
            positions.push(index);
            match count {
                None => break,
                Some(c) if c != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= c => break,
                Some(_) => {}
            }
        }
    }
    ctx.charge(scanned);
    match count {
        Some(_) => Reply::Array(
            positions
                .into_iter()
                .map(|p| Reply::Integer(p as i64))
                .collect(),
        ),
        None => positions
            .first()
            .map_or(Reply::Null, |&p| Reply::Integer(p as i64)),
    }
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT: pops from one end of
/// `source` and pushes onto an end of `destination` (which may be the same
/// list, rotating it). Replies with the element, or nil if `source` is
/// missing.
fn lmove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (from, to) = match (parse_end(&args[3]), parse_end(&args[4])) {
        (Ok(from), Ok(to)) => (from, to),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    move_element(ctx, &args[1], &args[2], from, to)
}

/// RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT.
fn rpoplpush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    move_element(ctx, &args[1], &args[2], End::Tail, End::Head)
}

fn move_element(ctx: &mut Ctx, source: &[u8], destination: &[u8], from: End, to: End) -> Reply {
    match read_list(ctx, source) {
        Err(e) => return e,
        Ok(None) => return Reply::Null,
        Ok(Some(_)) => {}
    }
    let destination_exists = match read_list(ctx, destination) {
        Err(e) => return e,
        Ok(list) => list.is_some(),
    };
    let (element, source_empty) = match write_list(ctx, source) {
        Ok(Some(list)) => {
            let element = match from {
                End::Head => list.pop_front(),
                End::Tail => list.pop_back(),
            };
            (element, list.is_empty())
        }
        Ok(None) | Err(_) => return Reply::Null,
    };
    let Some(element) = element else {
        return Reply::Null;
    };
    // Push first: when source and destination are the same key, the list
    // must not be deleted while it is momentarily empty.
    if !destination_exists {
        ctx.db.set(destination, Value::List(List::new()), false);
    }
    if let Ok(Some(list)) = write_list(ctx, destination) {
        match to {
            End::Head => list.push_front(element.clone()),
            End::Tail => list.push_back(element.clone()),
        }
    }
    ctx.db.signal_modified(destination);
    let still_empty = source_empty && source != destination;
    after_removal(ctx, source, still_empty);
    Reply::Bulk(element)
}

#[cfg(test)]
mod tests;
