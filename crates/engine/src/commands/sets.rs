//! Set commands: SADD, SREM, SMEMBERS, SINTER, ... (Redis's `t_set.c`).
//!
//! Replies list members in [`SetValue`]'s order: Redis's own for sets of
//! integers (ascending, as its intset keeps them), a deterministic stand-in
//! for Redis's random hash order otherwise. SPOP, SRANDMEMBER and SSCAN
//! live in [`random`].

use crate::command::{flags, spec, CommandSpec, Ctx, ALL_KEYS, FIRST_KEY, NO_KEYS};
use crate::keyspace::Entry;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::types::set::SetValue;
use crate::value::Value;

pub mod random;

const READ: u32 = flags::READONLY | flags::FAST;

pub const COMMANDS: &[CommandSpec] = &[
    spec(
        "sadd",
        -3,
        flags::WRITE | flags::DENYOOM | flags::FAST,
        FIRST_KEY,
        sadd,
    ),
    spec("srem", -3, flags::WRITE | flags::FAST, FIRST_KEY, srem),
    spec("smembers", 2, flags::READONLY, FIRST_KEY, smembers),
    spec("sismember", 3, READ, FIRST_KEY, sismember),
    spec("smismember", -3, READ, FIRST_KEY, smismember),
    spec("scard", 2, READ, FIRST_KEY, scard),
    spec("smove", 4, flags::WRITE | flags::FAST, (1, 2, 1), smove),
    spec("sinter", -2, flags::READONLY, ALL_KEYS, sinter),
    spec(
        "sinterstore",
        -3,
        flags::WRITE | flags::DENYOOM,
        ALL_KEYS,
        sinterstore,
    ),
    // The keys follow a count (Redis reports no fixed key positions).
    spec("sintercard", -3, flags::READONLY, NO_KEYS, sintercard),
    spec("sunion", -2, flags::READONLY, ALL_KEYS, sunion),
    spec(
        "sunionstore",
        -3,
        flags::WRITE | flags::DENYOOM,
        ALL_KEYS,
        sunionstore,
    ),
    spec("sdiff", -2, flags::READONLY, ALL_KEYS, sdiff),
    spec(
        "spop",
        -2,
        flags::WRITE | flags::FAST,
        FIRST_KEY,
        random::spop,
    ),
    spec(
        "srandmember",
        -2,
        flags::READONLY | flags::RANDOM,
        FIRST_KEY,
        random::srandmember,
    ),
    spec(
        "sscan",
        -3,
        flags::READONLY | flags::RANDOM,
        FIRST_KEY,
        random::sscan,
    ),
    spec(
        "sdiffstore",
        -3,
        flags::WRITE | flags::DENYOOM,
        ALL_KEYS,
        sdiffstore,
    ),
];

fn read_set<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a SetValue>, Reply> {
    match ctx.db.get(key, ctx.now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::Set(set),
            ..
        }) => Ok(Some(set)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn write_set<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a mut SetValue>, Reply> {
    let now = ctx.now_ms;
    match ctx.db.get_mut(key, now) {
        None => Ok(None),
        Some(Entry {
            value: Value::Set(set),
            ..
        }) => Ok(Some(set)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

fn members_reply(set: &SetValue) -> Vec<Reply> {
    set.iter().map(|m| Reply::Bulk(m.into_owned())).collect()
}

/// SADD key member [member ...]: adds the members, replying with how many
/// were new. A new key starts as an intset if the first member is an
/// integer, as in Redis.
fn sadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    match read_set(ctx, key) {
        Err(e) => return e,
        Ok(None) => ctx
            .db
            .set(key, Value::Set(SetValue::for_first_member(&args[2])), false),
        Ok(Some(_)) => {}
    }
    let added = match write_set(ctx, key) {
        Ok(Some(set)) => args[2..].iter().filter(|m| set.insert(m)).count(),
        Ok(None) | Err(_) => 0,
    };
    if added > 0 {
        ctx.db.signal_modified(key);
    }
    ctx.charge(args.len() - 2);
    Reply::Integer(added as i64)
}

/// SREM key member [member ...]: removes the members, replying with how
/// many were there; the key goes with its last member.
fn srem(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let (removed, now_empty) = match write_set(ctx, key) {
        Err(e) => return e,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(set)) => {
            let mut removed = 0;
            for member in &args[2..] {
                if set.remove(member) {
                    removed += 1;
                    if set.is_empty() {
                        break;
                    }
                }
            }
            (removed, set.is_empty())
        }
    };
    if now_empty {
        ctx.db.remove(key);
    } else if removed > 0 {
        ctx.db.signal_modified(key);
    }
    ctx.charge(args.len() - 2);
    Reply::Integer(removed)
}

/// SMEMBERS key: every member, a set reply in RESP3.
fn smembers(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let members = match read_set(ctx, &args[1]) {
        Err(e) => return e,
        Ok(set) => set.map(members_reply).unwrap_or_default(),
    };
    ctx.charge(members.len());
    Reply::Set(members)
}

/// SISMEMBER key member: 1 or 0 (an integer even in RESP3).
fn sismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match read_set(ctx, &args[1]) {
        Err(e) => e,
        Ok(set) => Reply::Integer(i64::from(set.is_some_and(|s| s.contains(&args[2])))),
    }
}

/// SMISMEMBER key member [member ...]: 1 or 0 per member; a missing key
/// reads as an empty set.
fn smismember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let reply = match read_set(ctx, &args[1]) {
        Err(e) => return e,
        Ok(set) => Reply::Array(
            args[2..]
                .iter()
                .map(|m| Reply::Integer(i64::from(set.is_some_and(|s| s.contains(m)))))
                .collect(),
        ),
    };
    ctx.charge(args.len() - 2);
    reply
}

/// SCARD key: the number of members.
fn scard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match read_set(ctx, &args[1]) {
        Err(e) => e,
        Ok(set) => Reply::Integer(set.map_or(0, |s| s.len() as i64)),
    }
}

/// SMOVE source destination member: moves a member between sets; 1 if it
/// was in `source`. A missing source is 0 whatever the destination holds.
fn smove(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (source, destination, member) = (&args[1], &args[2], &args[3]);
    // Redis looks both keys up (expiring them if due) before anything else.
    ctx.db.expire_if_needed(destination, ctx.now_ms);
    match read_set(ctx, source) {
        Err(e) => return e,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(_)) => {}
    }
    let destination_exists = match read_set(ctx, destination) {
        Err(e) => return e,
        Ok(set) => set.is_some(),
    };
    if source == destination {
        let present = matches!(read_set(ctx, source), Ok(Some(s)) if s.contains(member));
        return Reply::Integer(i64::from(present));
    }
    let (removed, source_empty) = match write_set(ctx, source) {
        Ok(Some(set)) => (set.remove(member), set.is_empty()),
        Ok(None) | Err(_) => (false, false),
    };
    if !removed {
        return Reply::Integer(0);
    }
    if source_empty {
        ctx.db.remove(source);
    } else {
        ctx.db.signal_modified(source);
    }
    if !destination_exists {
        ctx.db.set(
            destination,
            Value::Set(SetValue::for_first_member(member)),
            false,
        );
    }
    if let Ok(Some(set)) = write_set(ctx, destination) {
        if set.insert(member) {
            ctx.db.signal_modified(destination);
        }
    }
    Reply::Integer(1)
}

/// The sets at `keys` (`None` for a missing key), or WRONGTYPE if any key
/// holds something else.
fn load_sets<'a>(ctx: &'a mut Ctx, keys: &[Vec<u8>]) -> Result<Vec<Option<&'a SetValue>>, Reply> {
    // A first pass expires what is due and checks types; the second can
    // then borrow every set at once.
    for key in keys {
        read_set(ctx, key)?;
    }
    let db = &*ctx.db;
    Ok(keys
        .iter()
        .map(|key| match db.peek(key) {
            Some(Entry {
                value: Value::Set(set),
                ..
            }) => Some(set),
            _ => None,
        })
        .collect())
}

/// The work a multi-set command does: every member of every set.
fn total_len(sets: &[Option<&SetValue>]) -> usize {
    sets.iter().flatten().map(|s| s.len()).sum()
}

/// Members common to all the sets at `keys`, in the order of the smallest
/// set (Redis iterates that one), stopping after `limit` if nonzero.
fn intersection(sets: &[Option<&SetValue>], limit: usize) -> Vec<Vec<u8>> {
    let Some(mut present) = sets.iter().copied().collect::<Option<Vec<&SetValue>>>() else {
        return Vec::new();
    };
    present.sort_by_key(|s| s.len());
    let Some((smallest, others)) = present.split_first() else {
        return Vec::new();
    };
    let mut result = Vec::new();
    for member in smallest.iter() {
        if others.iter().all(|s| s.contains(&member)) {
            result.push(member.into_owned());
            if limit != 0 && result.len() >= limit {
                break;
            }
        }
    }
    result
}

/// SINTER key [key ...]: members in every set (a missing key is empty).
fn sinter(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (members, work) = match load_sets(ctx, &args[1..]) {
        Ok(sets) => (intersection(&sets, 0), total_len(&sets)),
        Err(e) => return e,
    };
    ctx.charge(work);
    Reply::Set(members.into_iter().map(Reply::Bulk).collect())
}

/// SINTERSTORE destination key [key ...]: stores the intersection,
/// replying with its size; an empty result deletes `destination`.
fn sinterstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (members, work) = match load_sets(ctx, &args[2..]) {
        Ok(sets) => (intersection(&sets, 0), total_len(&sets)),
        Err(e) => return e,
    };
    ctx.charge(work);
    let mut result = SetValue::default();
    for member in members {
        result.insert(&member);
    }
    store(ctx, &args[1], result)
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the
/// intersection, counting at most `limit` members if nonzero.
fn sintercard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let numkeys = match parse_i64(&args[1]) {
        Some(n) if n > 0 => n as u64,
        _ => return Reply::error("ERR numkeys should be greater than 0"),
    };
    if numkeys > (args.len() - 2) as u64 {
        return Reply::error("ERR Number of keys can't be greater than number of args");
    }
    let keys_end = 2 + numkeys as usize;
    let mut limit = 0;
    let mut i = keys_end;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"limit") && i + 1 < args.len() {
            match parse_i64(&args[i + 1]) {
                Some(n) if n >= 0 => limit = n as usize,
                _ => return Reply::error("ERR LIMIT can't be negative"),
            }
            i += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    let (count, work) = match load_sets(ctx, &args[2..keys_end]) {
        Ok(sets) => (intersection(&sets, limit).len(), total_len(&sets)),
        Err(e) => return e,
    };
    ctx.charge(work);
    Reply::Integer(count as i64)
}

/// Members of any of the sets, gathered as Redis does: into a fresh set
/// that starts as an intset, so an all-integer result comes out sorted.
fn union(sets: &[Option<&SetValue>]) -> SetValue {
    let mut result = SetValue::default();
    for set in sets.iter().flatten() {
        for member in set.iter() {
            result.insert(&member);
        }
    }
    result
}

/// Members of the first set in none of the others, built with the same
/// one of Redis's two algorithms, so the result has the same encoding.
fn difference(keys: &[Vec<u8>], sets: &[Option<&SetValue>]) -> SetValue {
    let mut result = SetValue::default();
    let Some(Some(first)) = sets.first() else {
        return result;
    };
    if keys[1..].contains(&keys[0]) {
        return result;
    }
    let others: Vec<&SetValue> = sets[1..].iter().flatten().copied().collect();
    // Redis weighs |first| × sets (halved) against the total size.
    let present = 1 + others.len();
    let algorithm_one_work = first.len() * present / 2;
    let algorithm_two_work = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
    if algorithm_one_work <= algorithm_two_work {
        for member in first.iter() {
            if !others.iter().any(|s| s.contains(&member)) {
                result.insert(&member);
            }
        }
    } else {
        for member in first.iter() {
            result.insert(&member);
        }
        for set in others {
            for member in set.iter() {
                result.remove(&member);
            }
            if result.is_empty() {
                break;
            }
        }
    }
    result
}

/// SUNION key [key ...]: members of any of the sets.
fn sunion(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (result, work) = match load_sets(ctx, &args[1..]) {
        Ok(sets) => (union(&sets), total_len(&sets)),
        Err(e) => return e,
    };
    ctx.charge(work);
    Reply::Set(members_reply(&result))
}

/// SUNIONSTORE destination key [key ...]: stores the union.
fn sunionstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (result, work) = match load_sets(ctx, &args[2..]) {
        Ok(sets) => (union(&sets), total_len(&sets)),
        Err(e) => return e,
    };
    ctx.charge(work);
    store(ctx, &args[1], result)
}

/// SDIFF key [key ...]: members of the first set in none of the others.
fn sdiff(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (result, work) = match load_sets(ctx, &args[1..]) {
        Ok(sets) => (difference(&args[1..], &sets), total_len(&sets)),
        Err(e) => return e,
    };
    ctx.charge(work);
    Reply::Set(members_reply(&result))
}

/// SDIFFSTORE destination key [key ...]: stores the difference.
fn sdiffstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (result, work) = match load_sets(ctx, &args[2..]) {
        Ok(sets) => (difference(&args[2..], &sets), total_len(&sets)),
        Err(e) => return e,
    };
    ctx.charge(work);
    store(ctx, &args[1], result)
}

/// Stores the result of a *STORE command like Redis's `setKey` (dropping
/// any TTL), or deletes `destination` when the result is empty.
fn store(ctx: &mut Ctx, destination: &[u8], result: SetValue) -> Reply {
    let len = result.len();
    if len == 0 {
        ctx.db.remove(destination);
    } else {
        ctx.db.set(destination, Value::Set(result), false);
    }
    Reply::Integer(len as i64)
}

#[cfg(test)]
mod tests;
