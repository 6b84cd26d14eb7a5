//! Hash commands: HSET, HGET, HGETALL, HINCRBY, ... (Redis's `t_hash.c`).
//!
//! A hash is an insertion-ordered map, which is the order Redis's listpack
//! encoding gives small hashes (up to 128 fields of up to 64 bytes). Past
//! those limits Redis switches to a hashtable and replies in random hash
//! order; ours stays insertion order, so HGETALL and friends of big hashes
//! are only comparable with Redis as multisets.

use indexmap::IndexMap;

use crate::command::{flags, spec, CommandSpec, Ctx, FIRST_KEY};
use crate::keyspace::Entry;
use crate::numbers::{parse_i64, LongDouble};
use crate::reply::Reply;
use crate::value::Value;

pub mod random;

type Hash = IndexMap<Vec<u8>, Vec<u8>>;

const WRITE: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const READ: u32 = flags::READONLY | flags::FAST;

pub const COMMANDS: &[CommandSpec] = &[
    spec("hset", -4, WRITE, FIRST_KEY, hset),
    spec("hmset", -4, WRITE, FIRST_KEY, hmset),
    spec("hsetnx", 4, WRITE, FIRST_KEY, hsetnx),
    spec("hget", 3, READ, FIRST_KEY, hget),
    spec("hmget", -3, READ, FIRST_KEY, hmget),
    spec("hgetall", 2, flags::READONLY, FIRST_KEY, hgetall),
    spec("hkeys", 2, flags::READONLY, FIRST_KEY, hkeys),
    spec("hvals", 2, flags::READONLY, FIRST_KEY, hvals),
    spec("hdel", -3, flags::WRITE | flags::FAST, FIRST_KEY, hdel),
    spec("hlen", 2, READ, FIRST_KEY, hlen),
    spec("hexists", 3, READ, FIRST_KEY, hexists),
    spec("hstrlen", 3, READ, FIRST_KEY, hstrlen),
    spec("hincrby", 4, WRITE, FIRST_KEY, hincrby),
    spec("hincrbyfloat", 4, WRITE, FIRST_KEY, hincrbyfloat),
    spec(
        "hrandfield",
        -2,
        flags::READONLY | flags::RANDOM,
        FIRST_KEY,
        random::hrandfield,
    ),
    spec(
        "hscan",
        -3,
        flags::READONLY | flags::RANDOM,
        FIRST_KEY,
        random::hscan,
    ),
];

/// The hash at `key` for reading; `Ok(None)` when the key does not exist.
fn read_hash<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a Hash>, Reply> {
    match ctx.db.get(key, ctx.now_ms) {
        None => Ok(None),
        Some(Entry {
            value: Value::Hash(hash),
            ..
        }) => Ok(Some(hash)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// The hash at `key` for writing, created empty if missing (Redis's
/// `hashTypeLookupWriteOrCreate`). Callers only fail after this on paths
/// where the key already existed, so no empty hash is ever left behind.
fn hash_for_write<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a mut Hash, Reply> {
    let now = ctx.now_ms;
    match ctx.db.get(key, now) {
        None => ctx.db.set(key, Value::Hash(Hash::new()), false),
        Some(Entry {
            value: Value::Hash(_),
            ..
        }) => {}
        Some(_) => return Err(Reply::wrong_type()),
    }
    match ctx.db.get_mut(key, now) {
        Some(Entry {
            value: Value::Hash(hash),
            ..
        }) => Ok(hash),
        _ => Err(Reply::wrong_type()),
    }
}

/// HSET key field value [field value ...]: sets the fields, replying with
/// how many were new. A field that exists keeps its place in the order.
fn hset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    set_fields(ctx, args, "hset").map_or_else(|e| e, Reply::Integer)
}

/// HMSET key field value [field value ...]: HSET's older spelling, which
/// replies OK instead of a count.
fn hmset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    set_fields(ctx, args, "hmset").map_or_else(|e| e, |_| Reply::ok())
}

fn set_fields(ctx: &mut Ctx, args: &[Vec<u8>], name: &str) -> Result<i64, Reply> {
    if args.len() % 2 == 1 {
        return Err(Reply::wrong_arity(name));
    }
    let hash = hash_for_write(ctx, &args[1])?;
    let mut created = 0;
    for pair in args[2..].chunks_exact(2) {
        if hash.insert(pair[0].clone(), pair[1].clone()).is_none() {
            created += 1;
        }
    }
    ctx.db.signal_modified(&args[1]);
    ctx.charge(args.len() / 2 - 1);
    Ok(created)
}

/// HSETNX key field value: sets the field only if it does not exist.
fn hsetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let hash = match hash_for_write(ctx, &args[1]) {
        Ok(hash) => hash,
        Err(e) => return e,
    };
    if hash.contains_key(&args[2]) {
        return Reply::Integer(0);
    }
    hash.insert(args[2].clone(), args[3].clone());
    ctx.db.signal_modified(&args[1]);
    Reply::Integer(1)
}

/// HGET key field: the value, or nil.
fn hget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match read_hash(ctx, &args[1]) {
        Err(e) => e,
        Ok(hash) => match hash.and_then(|h| h.get(&args[2])) {
            Some(v) => Reply::bulk(v),
            None => Reply::Null,
        },
    }
}

/// HMGET key field [field ...]: one value or nil per field; a missing key
/// reads as an empty hash.
fn hmget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let reply = match read_hash(ctx, &args[1]) {
        Err(e) => return e,
        Ok(hash) => Reply::Array(
            args[2..]
                .iter()
                .map(|f| hash.and_then(|h| h.get(f)).map_or(Reply::Null, Reply::bulk))
                .collect(),
        ),
    };
    ctx.charge(args.len() - 2);
    reply
}

/// HGETALL key: fields and values, a map in RESP3.
fn hgetall(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let pairs: Vec<(Reply, Reply)> = match read_hash(ctx, &args[1]) {
        Err(e) => return e,
        Ok(hash) => hash
            .into_iter()
            .flatten()
            .map(|(f, v)| (Reply::bulk(f), Reply::bulk(v)))
            .collect(),
    };
    ctx.charge(pairs.len());
    Reply::Map(pairs)
}

/// HKEYS key: the fields.
fn hkeys(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    list_part(ctx, &args[1], true)
}

/// HVALS key: the values.
fn hvals(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    list_part(ctx, &args[1], false)
}

fn list_part(ctx: &mut Ctx, key: &[u8], fields: bool) -> Reply {
    let items: Vec<Reply> = match read_hash(ctx, key) {
        Err(e) => return e,
        Ok(hash) => hash
            .into_iter()
            .flatten()
            .map(|(f, v)| Reply::bulk(if fields { f } else { v }))
            .collect(),
    };
    ctx.charge(items.len());
    Reply::Array(items)
}

/// HDEL key field [field ...]: removes the fields, keeping the order of the
/// others; the key goes when its last field does.
fn hdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let (deleted, now_empty) = match ctx.db.get_mut(&args[1], now) {
        None => return Reply::Integer(0),
        Some(Entry {
            value: Value::Hash(hash),
            ..
        }) => {
            let mut deleted = 0;
            for field in &args[2..] {
                if hash.shift_remove(field).is_some() {
                    deleted += 1;
                    if hash.is_empty() {
                        break;
                    }
                }
            }
            (deleted, hash.is_empty())
        }
        Some(_) => return Reply::wrong_type(),
    };
    if now_empty {
        ctx.db.remove(&args[1]);
    } else if deleted > 0 {
        ctx.db.signal_modified(&args[1]);
    }
    ctx.charge(args.len() - 2);
    Reply::Integer(deleted)
}

/// HLEN key: the number of fields.
fn hlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match read_hash(ctx, &args[1]) {
        Err(e) => e,
        Ok(hash) => Reply::Integer(hash.map_or(0, |h| h.len() as i64)),
    }
}

/// HEXISTS key field: 1 or 0 (an integer even in RESP3).
fn hexists(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match read_hash(ctx, &args[1]) {
        Err(e) => e,
        Ok(hash) => Reply::Integer(i64::from(hash.is_some_and(|h| h.contains_key(&args[2])))),
    }
}

/// HSTRLEN key field: the length of the value, 0 if missing.
fn hstrlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match read_hash(ctx, &args[1]) {
        Err(e) => e,
        Ok(hash) => Reply::Integer(
            hash.and_then(|h| h.get(&args[2]))
                .map_or(0, |v| v.len() as i64),
        ),
    }
}

/// HINCRBY key field increment: adds to an integer field (missing = 0).
/// The increment is checked before the key, as in Redis.
fn hincrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(incr) = parse_i64(&args[3]) else {
        return Reply::not_integer();
    };
    let hash = match hash_for_write(ctx, &args[1]) {
        Ok(hash) => hash,
        Err(e) => return e,
    };
    let current = match hash.get(&args[2]) {
        None => 0,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return Reply::error("ERR hash value is not an integer"),
        },
    };
    let Some(value) = current.checked_add(incr) else {
        return Reply::error("ERR increment or decrement would overflow");
    };
    hash.insert(args[2].clone(), value.to_string().into_bytes());
    ctx.db.signal_modified(&args[1]);
    Reply::Integer(value)
}

/// HINCRBYFLOAT key field increment: adds in long double precision and
/// stores the result printed like INCRBYFLOAT (`%.17Lf`, zeros trimmed).
fn hincrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(incr) = LongDouble::parse(&args[3]) else {
        return Reply::not_float();
    };
    if !incr.is_finite() {
        return Reply::error("ERR value is NaN or Infinity");
    }
    let hash = match hash_for_write(ctx, &args[1]) {
        Ok(hash) => hash,
        Err(e) => return e,
    };
    let current = match hash.get(&args[2]) {
        None => LongDouble::ZERO,
        Some(v) => match LongDouble::parse(v) {
            Some(x) => x,
            None => return Reply::error("ERR hash value is not a float"),
        },
    };
    let value = current + incr;
    if !value.is_finite() {
        return Reply::error("ERR increment would produce NaN or Infinity");
    }
    let text = value.to_human_string().into_bytes();
    hash.insert(args[2].clone(), text.clone());
    ctx.db.signal_modified(&args[1]);
    Reply::Bulk(text)
}

#[cfg(test)]
mod tests;
