//! OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP (Redis's `object.c`).
//!
//! The model stores values by meaning, not by Redis's memory layout, so the
//! encoding OBJECT ENCODING reports is derived from the value by Redis
//! 7.0's rules: strings are `int` when they read as a 64-bit integer (at
//! most 20 characters), `embstr` up to 44 bytes, `raw` beyond; lists are
//! always a `quicklist` (7.0 has no listpack lists); a hash is a `listpack`
//! while it has at most `hash-max-listpack-entries` fields and no field or
//! value longer than `hash-max-listpack-value`, a `hashtable` after; sets
//! and sorted sets keep their own encodings (`intset`/`hashtable`,
//! `listpack`/`skiplist`), which convert exactly when Redis's do.
//!
//! Two simplifications a client can observe: a string Redis would keep
//! `raw` after APPEND or SETRANGE is reported by its length like any other,
//! and a hash shrunk back under the limits reads `listpack` again (Redis
//! never converts back until a reload). The model keeps no access clock:
//! IDLETIME is 0 and FREQ is the counter a new key starts with.

use crate::command::Ctx;
use crate::commands::connection::help_reply;
use crate::keyspace::Entry;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::server::config::Config;
use crate::value::Value;

/// Redis shares the integers below this as one object (`OBJ_SHARED_INTEGERS`).
const SHARED_INTEGERS: i64 = 10_000;
/// The refcount a shared object reports (`OBJ_SHARED_REFCOUNT`, INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// The longest string kept in one allocation with its object header.
const EMBSTR_MAX_LEN: usize = 44;
/// `LFU_INIT_VAL`: the access counter of a key just created.
const LFU_INIT_VAL: i64 = 5;

const POLICY_NOTE: &str = "Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// The encoding Redis 7.0 would report for `value` under `config`.
pub fn encoding_of(value: &Value, config: &Config) -> &'static str {
    match value {
        Value::String(bytes) => string_encoding(bytes),
        Value::List(_) => "quicklist",
        Value::Hash(fields) => {
            let max_entries = config_usize(config, "hash-max-listpack-entries", 128);
            let max_value = config_usize(config, "hash-max-listpack-value", 64);
            let small = fields.len() <= max_entries
                && fields
                    .iter()
                    .all(|(f, v)| f.len() <= max_value && v.len() <= max_value);
            if small {
                "listpack"
            } else {
                "hashtable"
            }
        }
        Value::Set(set) => set.encoding(),
        Value::ZSet(zset) => zset.encoding(),
        Value::Stream(_) => "stream",
    }
}

fn string_encoding(bytes: &[u8]) -> &'static str {
    if bytes.len() <= 20 && parse_i64(bytes).is_some() {
        "int"
    } else if bytes.len() <= EMBSTR_MAX_LEN {
        "embstr"
    } else {
        "raw"
    }
}

fn config_usize(config: &Config, name: &str, default: usize) -> usize {
    config
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn lfu_policy(ctx: &Ctx) -> bool {
    ctx.server
        .config
        .get("maxmemory-policy")
        .is_some_and(|p| p.ends_with("-lfu"))
}

/// The entry at `key`, or the reply OBJECT gives for a missing key (null).
fn lookup<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<&'a Entry, Reply> {
    let now = ctx.now_ms;
    ctx.db.get(key, now).ok_or(Reply::Null)
}

/// OBJECT ENCODING key.
pub fn encoding(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    if ctx.db.get(&args[2], now).is_none() {
        return Reply::Null;
    }
    let raw = ctx.db.is_raw(&args[2]);
    match ctx.db.peek(&args[2]) {
        None => Reply::Null,
        Some(entry) if raw && matches!(entry.value, Value::String(_)) => Reply::bulk("raw"),
        Some(entry) => Reply::bulk(encoding_of(&entry.value, &ctx.server.config)),
    }
}

/// OBJECT REFCOUNT key: shared small integers report INT_MAX, as Redis's
/// shared integer objects do; every other value has one reference.
pub fn refcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match lookup(ctx, &args[2]) {
        Err(null) => null,
        Ok(entry) => match &entry.value {
            Value::String(bytes)
                if bytes.len() <= 20
                    && parse_i64(bytes).is_some_and(|n| (0..SHARED_INTEGERS).contains(&n)) =>
            {
                Reply::Integer(SHARED_REFCOUNT)
            }
            _ => Reply::Integer(1),
        },
    }
}

/// OBJECT IDLETIME key: refused under an LFU policy, as in Redis.
/// Seconds since the last access, as kept under an LRU policy (0 under
/// others: the model keeps no access times there). Reading it is no access.
pub fn idletime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(access) = untouched(ctx, &args[2]) else {
        return Reply::Null;
    };
    if lfu_policy(ctx) {
        return Reply::error(format!(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. {POLICY_NOTE}"
        ));
    }
    let idle_ms = access.map_or(0, |a| (ctx.now_ms - a.last_ms).max(0));
    Reply::Integer(idle_ms / 1000)
}

/// The key's access record without touching it (Redis's
/// `LOOKUP_NOTOUCH`): `None` if the key is missing, `Some(None)` if no
/// record is kept.
fn untouched(ctx: &mut Ctx, key: &[u8]) -> Option<Option<crate::server::eviction::Access>> {
    let now = ctx.now_ms;
    if ctx.db.expire_if_needed(key, now) {
        return None;
    }
    ctx.db.peek(key)?;
    Some(ctx.db.access_of(key).copied())
}

/// OBJECT FREQ key: only under an LFU policy, as in Redis.
pub fn freq(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(access) = untouched(ctx, &args[2]) else {
        return Reply::Null;
    };
    if !lfu_policy(ctx) {
        return Reply::error(format!(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. {POLICY_NOTE}"
        ));
    }
    let now = ctx.now_ms;
    Reply::Integer(access.map_or(LFU_INIT_VAL, |a| i64::from(a.counter(now))))
}

pub fn help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::{session, Session};

    #[test]
    fn string_encodings_follow_the_value() {
        let mut s = Session::new();
        session!(s,
            "SET k 42" => "+OK\r\n",
            "OBJECT ENCODING k" => "$3\r\nint\r\n",
            "OBJECT REFCOUNT k" => ":2147483647\r\n",
            "SET k 042" => "+OK\r\n",
            "OBJECT ENCODING k" => "$6\r\nembstr\r\n",
            "OBJECT REFCOUNT k" => ":1\r\n",
            "OBJECT ENCODING nokey" => "$-1\r\n",
            "OBJECT NOPE k" => "-ERR unknown subcommand 'NOPE'. Try OBJECT HELP.\r\n",
        );
        s.run(&format!("SET k {}", "x".repeat(45)));
        session!(s, "OBJECT ENCODING k" => "$3\r\nraw\r\n");
    }

    #[test]
    fn hash_encoding_follows_the_configured_limits() {
        let mut s = Session::new();
        session!(s,
            "HSET h a 1 b 2" => ":2\r\n",
            "OBJECT ENCODING h" => "$8\r\nlistpack\r\n",
            "CONFIG SET hash-max-listpack-entries 1" => "+OK\r\n",
            "OBJECT ENCODING h" => "$9\r\nhashtable\r\n",
            "RPUSH l x" => ":1\r\n",
            "OBJECT ENCODING l" => "$9\r\nquicklist\r\n",
        );
    }

    #[test]
    fn freq_and_idletime_depend_on_the_policy() {
        let mut s = Session::new();
        s.run("SET k v");
        assert!(s
            .run("OBJECT FREQ k")
            .starts_with("-ERR An LFU maxmemory policy is not selected"));
        session!(s, "OBJECT IDLETIME k" => ":0\r\n");
        s.run("CONFIG SET maxmemory-policy volatile-lfu");
        // A key from before the switch has no count yet; a new one starts at 5.
        session!(s, "OBJECT FREQ k" => ":0\r\n");
        s.run("SET fresh v");
        session!(s, "OBJECT FREQ fresh" => ":5\r\n");
        assert!(s
            .run("OBJECT IDLETIME k")
            .starts_with("-ERR An LFU maxmemory policy is selected"));
    }
}
