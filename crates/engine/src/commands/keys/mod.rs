//! Keyspace commands: existence, deletion, renaming, types, expiry,
//! iteration (KEYS, SCAN) and the database-wide DBSIZE, FLUSHALL/FLUSHDB,
//! SELECT and RANDOMKEY (Redis's `db.c` and `expire.c`).
//!
//! There are 16 databases, as in a default Redis; commands act on the
//! connection's current one, `ctx.db` (see `Ctx::select_db`).

pub mod expire;
pub mod migrate;
pub mod object;
pub mod pattern;
pub mod scan;

use crate::command::{flags, spec, CommandSpec, Ctx, ALL_KEYS, FIRST_KEY, NO_KEYS};
use crate::numbers::parse_i64;
use crate::reply::Reply;

const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const F: u32 = flags::FAST;

/// Flags and key positions as `COMMAND INFO` reports them in Redis 7.0.
pub const COMMANDS: &[CommandSpec] = &[
    spec("del", -2, W, ALL_KEYS, del),
    spec("unlink", -2, W | F, ALL_KEYS, unlink),
    spec("exists", -2, R | F, ALL_KEYS, exists),
    spec("touch", -2, R | F, ALL_KEYS, exists),
    spec("type", 2, R | F, FIRST_KEY, type_),
    spec("rename", 3, W, (1, 2, 1), rename),
    spec("renamenx", 3, W | F, (1, 2, 1), renamenx),
    spec("copy", -3, W | flags::DENYOOM, (1, 2, 1), copy),
    spec("move", 3, W | F, FIRST_KEY, move_),
    // Keys move with the KEYS option: see `movable_keys`.
    spec("migrate", -6, W, NO_KEYS, migrate::migrate),
    spec("expire", -3, W | F, FIRST_KEY, expire::expire),
    spec("pexpire", -3, W | F, FIRST_KEY, expire::pexpire),
    spec("expireat", -3, W | F, FIRST_KEY, expire::expireat),
    spec("pexpireat", -3, W | F, FIRST_KEY, expire::pexpireat),
    spec("ttl", 2, R | F, FIRST_KEY, expire::ttl),
    spec("pttl", 2, R | F, FIRST_KEY, expire::pttl),
    spec("expiretime", 2, R | F, FIRST_KEY, expire::expiretime),
    spec("pexpiretime", 2, R | F, FIRST_KEY, expire::pexpiretime),
    spec("persist", 2, W | F, FIRST_KEY, expire::persist),
    spec("keys", 2, R, NO_KEYS, scan::keys),
    spec("scan", -2, R, NO_KEYS, scan::scan),
    spec("randomkey", 1, R, NO_KEYS, randomkey),
    spec("dbsize", 1, R | F, NO_KEYS, dbsize),
    spec("flushall", -1, W, NO_KEYS, flushall),
    spec("flushdb", -1, W, NO_KEYS, flushdb),
    spec("select", 2, flags::STALE | F, NO_KEYS, select),
    spec(
        "object",
        -2,
        0,
        NO_KEYS,
        crate::commands::connection::container,
    )
    .with_subcommands(&[
        spec("encoding", 3, R, (2, 2, 1), object::encoding),
        spec("freq", 3, R, (2, 2, 1), object::freq),
        spec("idletime", 3, R, (2, 2, 1), object::idletime),
        spec("refcount", 3, R, (2, 2, 1), object::refcount),
        spec(
            "help",
            2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            object::help,
        ),
    ]),
];

/// Whether an option argument equals `name`, compared as C's `strcasecmp`
/// does (ASCII case folded, the argument read up to a NUL byte).
pub fn option_is(arg: &[u8], name: &str) -> bool {
    let c_str = arg.split(|&b| b == 0).next().unwrap_or_default();
    c_str.eq_ignore_ascii_case(name.as_bytes())
}

/// An argument quoted inside an error reply: Redis's `addReplyErrorFormat`
/// turns CR and LF into spaces so the reply stays one line.
pub fn error_text(arg: &[u8]) -> String {
    String::from_utf8_lossy(arg).replace(['\r', '\n'], " ")
}

/// DEL key [key ...]: how many of the keys existed. Freeing happens in
/// the call, so DEL of a big value blocks the node for O(N) of its
/// elements (simulated time).
fn del(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    remove_keys(ctx, args, true)
}

/// UNLINK key [key ...]: as DEL, but Redis frees big values on a
/// background thread, so the call costs O(1) per key whatever the size.
fn unlink(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    remove_keys(ctx, args, false)
}

fn remove_keys(ctx: &mut Ctx, args: &[Vec<u8>], free_now: bool) -> Reply {
    let now = ctx.now_ms;
    let mut deleted = 0;
    for key in &args[1..] {
        ctx.db.expire_if_needed(key, now);
        if let Some(entry) = ctx.db.remove(key) {
            deleted += 1;
            if free_now {
                ctx.charge(crate::command::element_count(&entry.value));
            }
        }
    }
    Reply::Integer(deleted)
}

/// EXISTS key [key ...] (and TOUCH): how many of the arguments exist; a key
/// named twice counts twice. The model keeps no access times, so TOUCH
/// only counts.
fn exists(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let count = args[1..].iter().filter(|k| ctx.db.exists(k, now)).count();
    Reply::Integer(count as i64)
}

/// TYPE key: `string`, `list`, ..., or `none`, as a status reply.
fn type_(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let name = ctx
        .db
        .get(&args[1], ctx.now_ms)
        .map_or("none", |e| e.value.type_name());
    Reply::Status(name.into())
}

/// RENAME key newkey: moves the value and its TTL, replacing `newkey`.
fn rename(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, args, false)
}

/// RENAMENX key newkey: 1 if renamed, 0 if `newkey` exists.
fn renamenx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    rename_generic(ctx, args, true)
}

/// Redis's `renameGenericCommand`. Renaming a key to itself succeeds (or
/// returns 0 for RENAMENX) without touching it, but a missing source is
/// still `ERR no such key`.
fn rename_generic(ctx: &mut Ctx, args: &[Vec<u8>], nx: bool) -> Reply {
    let (src, dst) = (&args[1], &args[2]);
    let now = ctx.now_ms;
    if !ctx.db.exists(src, now) {
        return Reply::error("ERR no such key");
    }
    let done = if nx { Reply::Integer(1) } else { Reply::ok() };
    if src == dst {
        return if nx { Reply::Integer(0) } else { done };
    }
    if nx && ctx.db.exists(dst, now) {
        return Reply::Integer(0);
    }
    let Some(entry) = ctx.db.remove(src) else {
        return Reply::error("ERR no such key");
    };
    ctx.db.set_entry(dst, entry);
    done
}

/// COPY source destination [DB index] [REPLACE]: 1 if copied (with the
/// TTL), 0 if the source is missing or the destination exists without
/// REPLACE.
fn copy(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let current = ctx.server.active_db;
    let mut target = current;
    let mut replace = false;
    let mut i = 3;
    while i < args.len() {
        if option_is(&args[i], "replace") {
            replace = true;
        } else if option_is(&args[i], "db") && i + 1 < args.len() {
            match parse_db_index(ctx, &args[i + 1]) {
                Ok(index) => target = index,
                Err(reply) => return reply,
            }
            i += 1;
        } else {
            return Reply::syntax_error();
        }
        i += 1;
    }
    let (src, dst) = (&args[1], &args[2]);
    if target == current && src == dst {
        return Reply::error("ERR source and destination objects are the same");
    }
    let now = ctx.now_ms;
    let Some(entry) = ctx.db.get(src, now).cloned() else {
        return Reply::Integer(0);
    };
    let Some(db) = ctx.db_at(target) else {
        return Reply::error("ERR DB index is out of range");
    };
    if db.exists(dst, now) && !replace {
        return Reply::Integer(0);
    }
    db.set(dst, entry.value, false);
    if entry.expire_at_ms.is_some() {
        db.set_expire(dst, entry.expire_at_ms);
    }
    Reply::Integer(1)
}

/// MOVE key db: moves a key (with its TTL) to another database; 1 if
/// moved, 0 if the key is missing here or already exists there.
fn move_(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let target = match parse_db_index(ctx, &args[2]) {
        Ok(index) => index,
        Err(reply) => return reply,
    };
    if target == ctx.server.active_db {
        return Reply::error("ERR source and destination objects are the same");
    }
    let key = &args[1];
    let now = ctx.now_ms;
    if !ctx.db.exists(key, now) || ctx.db_at(target).is_none_or(|db| db.exists(key, now)) {
        return Reply::Integer(0);
    }
    let Some(entry) = ctx.db.remove(key) else {
        return Reply::Integer(0);
    };
    if let Some(db) = ctx.db_at(target) {
        db.set_entry(key, entry);
    }
    Reply::Integer(1)
}

/// Parses a database number as Redis's `getIntFromObjectOrReply` and
/// `selectDb` do: an integer, within C's int, naming an existing database.
fn parse_db_index(ctx: &Ctx, arg: &[u8]) -> Result<usize, Reply> {
    let Some(id) = parse_i64(arg) else {
        return Err(Reply::not_integer());
    };
    if i32::try_from(id).is_err() {
        return Err(Reply::error(
            "ERR value is out of range, value must between -2147483648 and 2147483647",
        ));
    }
    match usize::try_from(id) {
        Ok(index) if index < ctx.db_count() => Ok(index),
        _ => Err(Reply::error("ERR DB index is out of range")),
    }
}

/// SELECT index: makes another database current for this connection.
fn select(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match parse_db_index(ctx, &args[1]) {
        Ok(index) if ctx.select_db(index) => Reply::ok(),
        Ok(_) => Reply::error("ERR DB index is out of range"),
        Err(reply) => reply,
    }
}

/// DBSIZE: the number of keys in the current database, counting keys whose
/// TTL has passed but that nothing has removed yet, as Redis's `dictSize`.
fn dbsize(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.db.len() as i64)
}

/// FLUSHALL [ASYNC|SYNC]: removes every key of every database (not
/// functions). SYNC (the default) frees every element in the call, O(N);
/// ASYNC leaves that to a background thread and costs O(1).
fn flushall(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if !flush_args_ok(args) {
        return Reply::syntax_error();
    }
    let free_now = !is_async(args);
    for index in 0..ctx.db_count() {
        if let Some(db) = ctx.db_at(index) {
            let work = if free_now { elements_in(db) } else { 0 };
            db.clear();
            ctx.charge(work);
        }
    }
    Reply::ok()
}

/// FLUSHDB [ASYNC|SYNC]: removes every key of the current database, at
/// the same cost as FLUSHALL.
fn flushdb(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if !flush_args_ok(args) {
        return Reply::syntax_error();
    }
    if !is_async(args) {
        ctx.charge(elements_in(ctx.db));
    }
    ctx.db.clear();
    Reply::ok()
}

/// Every element a database holds: what a synchronous flush frees.
fn elements_in(db: &crate::keyspace::Keyspace) -> usize {
    db.iter()
        .map(|(_, entry)| crate::command::element_count(&entry.value))
        .sum()
}

fn is_async(args: &[Vec<u8>]) -> bool {
    args.len() == 2 && option_is(&args[1], "async")
}

/// Redis's `getFlushCommandFlags`: nothing, or exactly one of SYNC/ASYNC.
fn flush_args_ok(args: &[Vec<u8>]) -> bool {
    match args.len() {
        1 => true,
        2 => option_is(&args[1], "sync") || option_is(&args[1], "async"),
        _ => false,
    }
}

/// RANDOMKEY: a key, or nil when the keyspace is empty.
///
/// Redis picks uniformly at random; the model must stay deterministic, so
/// it picks the key at a position derived from the number of commands the
/// node has processed (different from call to call, identical across
/// runs). As in Redis, a picked key whose TTL has passed is removed and
/// another is picked.
fn randomkey(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let mut seed = ctx.server.stats.total_commands_processed;
    loop {
        let len = ctx.db.len();
        if len == 0 {
            return Reply::Null;
        }
        seed = splitmix64(seed);
        let index = (seed % len as u64) as usize;
        let Some(key) = ctx.db.iter().nth(index).map(|(k, _)| k.clone()) else {
            return Reply::Null;
        };
        ctx.charge(index);
        if !ctx.db.expire_if_needed(&key, now) {
            return Reply::Bulk(key);
        }
    }
}

/// A fixed, well-mixing step so successive RANDOMKEY calls spread out.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
