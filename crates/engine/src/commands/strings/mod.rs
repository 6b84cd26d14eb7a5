//! String commands (Redis's `t_string.c`): GET/SET and their variants,
//! counters, APPEND/STRLEN, ranges and LCS.
//!
//! Strings are stored as raw bytes; Redis's int/embstr encodings are not
//! modelled because no reply depends on them here.

pub mod counters;
pub mod lcs;
pub mod set;

use crate::command::{flags, spec, CommandSpec, Ctx, ALL_KEYS, FIRST_KEY};
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::value::Value;

const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const F: u32 = flags::FAST;
const M: u32 = flags::DENYOOM;

/// Flags and key positions as `COMMAND INFO` reports them in Redis 7.0.
pub const COMMANDS: &[CommandSpec] = &[
    spec("get", 2, R | F, FIRST_KEY, get),
    spec("set", -3, W | M, FIRST_KEY, set::set),
    spec("setnx", 3, W | M | F, FIRST_KEY, set::setnx),
    spec("setex", 4, W | M, FIRST_KEY, set::setex),
    spec("psetex", 4, W | M, FIRST_KEY, set::psetex),
    spec("getex", -2, W | F, FIRST_KEY, set::getex),
    spec("getset", 3, W | M | F, FIRST_KEY, getset),
    spec("getdel", 2, W | F, FIRST_KEY, getdel),
    spec("mget", -2, R | F, ALL_KEYS, mget),
    spec("mset", -3, W | M, (1, -1, 2), mset),
    spec("msetnx", -3, W | M, (1, -1, 2), msetnx),
    spec("append", 3, W | M | F, FIRST_KEY, append),
    spec("strlen", 2, R | F, FIRST_KEY, strlen),
    spec("getrange", 4, R, FIRST_KEY, getrange),
    spec("substr", 4, R, FIRST_KEY, getrange),
    spec("setrange", 4, W | M, FIRST_KEY, setrange),
    spec("lcs", -3, R, (1, 2, 1), lcs::lcs),
    spec("incr", 2, W | M | F, FIRST_KEY, counters::incr),
    spec("decr", 2, W | M | F, FIRST_KEY, counters::decr),
    spec("incrby", 3, W | M | F, FIRST_KEY, counters::incrby),
    spec("decrby", 3, W | M | F, FIRST_KEY, counters::decrby),
    spec(
        "incrbyfloat",
        3,
        W | M | F,
        FIRST_KEY,
        counters::incrbyfloat,
    ),
];

/// Redis's `proto-max-bulk-len` default: the largest string APPEND and
/// SETRANGE may build.
pub const MAX_STRING_LEN: usize = 512 * 1024 * 1024;

/// The string at `key`: `Ok(None)` if there is no key, WRONGTYPE if it
/// holds another type. Expires the key first if its TTL has passed.
pub fn lookup_string(ctx: &mut Ctx, key: &[u8]) -> Result<Option<Vec<u8>>, Reply> {
    match ctx.db.get(key, ctx.now_ms) {
        None => Ok(None),
        Some(entry) => match &entry.value {
            Value::String(s) => Ok(Some(s.clone())),
            _ => Err(Reply::wrong_type()),
        },
    }
}

/// Redis's `checkStringLength`.
fn check_string_length(size: usize, append: usize) -> Result<(), Reply> {
    match size.checked_add(append) {
        Some(total) if total <= MAX_STRING_LEN => Ok(()),
        _ => Err(Reply::error(
            "ERR string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// GET key: the value, nil if missing, WRONGTYPE if not a string.
pub fn get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match lookup_string(ctx, &args[1]) {
        Ok(Some(v)) => Reply::Bulk(v),
        Ok(None) => Reply::Null,
        Err(reply) => reply,
    }
}

/// GETSET key value: sets the value (dropping any TTL), returns the old one.
fn getset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let old = match lookup_string(ctx, &args[1]) {
        Ok(old) => old,
        Err(reply) => return reply,
    };
    ctx.db.set(&args[1], Value::String(args[2].clone()), false);
    old.map_or(Reply::Null, Reply::Bulk)
}

/// GETDEL key: the value, and the key is deleted.
fn getdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match lookup_string(ctx, &args[1]) {
        Ok(Some(v)) => {
            ctx.db.remove(&args[1]);
            Reply::Bulk(v)
        }
        Ok(None) => Reply::Null,
        Err(reply) => reply,
    }
}

/// MGET key [key ...]: values in order; nil for missing keys and for keys
/// of other types (MGET never fails with WRONGTYPE).
fn mget(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let values = args[1..]
        .iter()
        .map(|key| match ctx.db.get(key, now).map(|e| &e.value) {
            Some(Value::String(s)) => Reply::Bulk(s.clone()),
            _ => Reply::Null,
        })
        .collect();
    ctx.charge(args.len() - 1);
    Reply::Array(values)
}

/// MSET key value [key value ...]: sets all, dropping their TTLs. An odd
/// number of arguments after the name is a wrong-arity error.
fn mset(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len().is_multiple_of(2) {
        return Reply::wrong_arity("mset");
    }
    set_pairs(ctx, args);
    Reply::ok()
}

/// MSETNX key value [key value ...]: sets all only if none exists; 1 or 0.
fn msetnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len().is_multiple_of(2) {
        return Reply::wrong_arity("msetnx");
    }
    let now = ctx.now_ms;
    if args[1..]
        .iter()
        .step_by(2)
        .any(|key| ctx.db.exists(key, now))
    {
        return Reply::Integer(0);
    }
    set_pairs(ctx, args);
    Reply::Integer(1)
}

fn set_pairs(ctx: &mut Ctx, args: &[Vec<u8>]) {
    for pair in args[1..].chunks_exact(2) {
        ctx.db.set(&pair[0], Value::String(pair[1].clone()), false);
    }
    let pairs = args.len() / 2;
    ctx.charge(pairs);
    ctx.charge_ns(pairs as u64 * crate::cost::KEY_SET_NS);
}

/// APPEND key value: the new length; creates the key if missing, keeps a TTL.
fn append(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (key, tail) = (&args[1], &args[2]);
    let mut value = match lookup_string(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => {
            ctx.db.set(key, Value::String(tail.clone()), false);
            return Reply::Integer(tail.len() as i64);
        }
        Err(reply) => return reply,
    };
    if let Err(reply) = check_string_length(value.len(), tail.len()) {
        return reply;
    }
    value.extend_from_slice(tail);
    let len = value.len();
    ctx.charge(len / 1024);
    ctx.db.set(key, Value::String(value), true);
    // Redis appends to its own copy of the string: `raw` from now on.
    ctx.db.mark_raw(key);
    Reply::Integer(len as i64)
}

/// STRLEN key: the length in bytes, 0 if missing.
fn strlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match lookup_string(ctx, &args[1]) {
        Ok(v) => Reply::Integer(v.map_or(0, |v| v.len() as i64)),
        Err(reply) => reply,
    }
}

/// GETRANGE key start end (and its old name SUBSTR): the substring between
/// two inclusive offsets, negative ones counting from the end; an empty
/// string when the range is empty or the key is missing.
fn getrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (Some(mut start), Some(mut end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return Reply::not_integer();
    };
    let value = match lookup_string(ctx, &args[1]) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Bulk(Vec::new()),
        Err(reply) => return reply,
    };
    let len = value.len() as i64;
    if start < 0 && end < 0 && start > end {
        return Reply::Bulk(Vec::new());
    }
    if start < 0 {
        start = start.wrapping_add(len);
    }
    if end < 0 {
        end = end.wrapping_add(len);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return Reply::Bulk(Vec::new());
    }
    Reply::Bulk(value[start as usize..=end as usize].to_vec())
}

/// SETRANGE key offset value: overwrites from `offset`, zero-padding as
/// needed; the new length. An empty value changes nothing (and creates no
/// key).
fn setrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (key, patch) = (&args[1], &args[3]);
    let Some(offset) = parse_i64(&args[2]) else {
        return Reply::not_integer();
    };
    if offset < 0 {
        return Reply::error("ERR offset is out of range");
    }
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    let mut value = match lookup_string(ctx, key) {
        Ok(Some(v)) => {
            if patch.is_empty() {
                return Reply::Integer(v.len() as i64);
            }
            v
        }
        Ok(None) if patch.is_empty() => return Reply::Integer(0),
        Ok(None) => Vec::new(),
        Err(reply) => return reply,
    };
    if let Err(reply) = check_string_length(offset, patch.len()) {
        return reply;
    }
    let end = offset + patch.len();
    if value.len() < end {
        value.resize(end, 0);
    }
    value[offset..end].copy_from_slice(patch);
    let len = value.len();
    ctx.charge(len / 1024);
    ctx.db.set(key, Value::String(value), true);
    // Changed in place (or created empty and patched): `raw`, as in Redis.
    ctx.db.mark_raw(key);
    Reply::Integer(len as i64)
}

#[cfg(test)]
mod tests;
