//! DUMP and RESTORE (Redis's `cluster.c`): a key's value as an opaque
//! payload, and a key created back from one. See [`payload`] for the
//! format and how much of Redis's it shares.

pub mod payload;

use crate::command::{flags, spec, CommandSpec, Ctx, FIRST_KEY};
use crate::commands::keys::option_is;
use crate::numbers::parse_i64;
use crate::reply::Reply;

use payload::PayloadError;

pub const COMMANDS: &[CommandSpec] = &[
    spec("dump", 2, flags::READONLY | flags::RANDOM, FIRST_KEY, dump),
    spec(
        "restore",
        -4,
        flags::WRITE | flags::DENYOOM,
        FIRST_KEY,
        restore,
    ),
];

/// DUMP key: the payload, or nil for a missing key.
fn dump(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let Some(entry) = ctx.db.get(&args[1], now) else {
        return Reply::Null;
    };
    match payload::serialize(&entry.value) {
        Ok(bytes) => {
            let len = bytes.len();
            ctx.charge(len / 64);
            Reply::Bulk(bytes)
        }
        Err(payload::Unsupported) => Reply::error("ERR DUMP of a stream is not modelled"),
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds]
/// [FREQ frequency]: the checks come in Redis's order — options, an
/// existing key, the TTL, the payload's envelope, its contents.
fn restore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle_given, mut freq_given) = (false, false);
    let mut j = 4;
    while j < args.len() {
        let more = j + 1 < args.len();
        let arg = &args[j];
        if option_is(arg, "replace") {
            replace = true;
        } else if option_is(arg, "absttl") {
            absttl = true;
        } else if option_is(arg, "idletime") && more && !freq_given {
            match parse_i64(&args[j + 1]) {
                None => return Reply::not_integer(),
                Some(n) if n < 0 => {
                    return Reply::error("ERR Invalid IDLETIME value, must be >= 0")
                }
                Some(_) => {}
            }
            idle_given = true;
            j += 1;
        } else if option_is(arg, "freq") && more && !idle_given {
            match parse_i64(&args[j + 1]) {
                None => return Reply::not_integer(),
                Some(n) if !(0..=255).contains(&n) => {
                    return Reply::error("ERR Invalid FREQ value, must be >= 0 and <= 255")
                }
                Some(_) => {}
            }
            freq_given = true;
            j += 1;
        } else {
            return Reply::syntax_error();
        }
        j += 1;
    }
    let key = &args[1];
    let now = ctx.now_ms;
    if !replace && ctx.db.exists(key, now) {
        return Reply::error("BUSYKEY Target key name already exists.");
    }
    let ttl = match parse_i64(&args[2]) {
        None => return Reply::not_integer(),
        Some(t) if t < 0 => return Reply::error("ERR Invalid TTL value, must be >= 0"),
        Some(t) => t,
    };
    let limits = crate::commands::zsets::listpack_limits(ctx);
    let value = match payload::deserialize(&args[3], limits) {
        Ok(value) => value,
        Err(PayloadError::Envelope) => {
            return Reply::error("ERR DUMP payload version or checksum are wrong")
        }
        Err(PayloadError::Data) => return Reply::error("ERR Bad data format"),
    };
    ctx.charge(args[3].len() / 64);
    if replace {
        ctx.db.remove(key);
    }
    let expire_at = match (ttl, absttl) {
        (0, _) => None,
        (t, true) => Some(t),
        (t, false) => Some(now.saturating_add(t)),
    };
    if expire_at.is_some_and(|at| at <= now) {
        // Already expired: nothing is created (an old key is still gone).
        return Reply::ok();
    }
    ctx.db.set(key, value, false);
    if let Some(at) = expire_at {
        ctx.db.set_expire(key, Some(at));
    }
    Reply::ok()
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::Session;
    use crate::encode::to_bytes;

    /// DUMP's payload, as raw bytes (it is binary: not a session string).
    fn dump(s: &mut Session, key: &str) -> Vec<u8> {
        let args = vec![b"DUMP".to_vec(), key.as_bytes().to_vec()];
        match &s.engine.execute(s.client, &args, 0).reply {
            crate::Reply::Bulk(bytes) => bytes.clone(),
            other => panic!("DUMP {key}: {other:?}"),
        }
    }

    fn restore(s: &mut Session, key: &str, ttl: &str, payload: &[u8], extra: &[&str]) -> String {
        let mut args = vec![
            b"RESTORE".to_vec(),
            key.as_bytes().to_vec(),
            ttl.as_bytes().to_vec(),
            payload.to_vec(),
        ];
        args.extend(extra.iter().map(|a| a.as_bytes().to_vec()));
        let reply = s.engine.execute(s.client, &args, 0).reply;
        String::from_utf8_lossy(&to_bytes(&reply, crate::Protocol::Resp2)).into_owned()
    }

    #[test]
    fn dump_and_restore_round_trip() {
        let mut s = Session::new();
        s.run("RPUSH l a b c");
        s.run("ZADD z 1 x 2 y");
        let list = dump(&mut s, "l");
        let zset = dump(&mut s, "z");
        assert_eq!(restore(&mut s, "l2", "0", &list, &[]), "+OK\r\n");
        assert_eq!(s.run("LRANGE l2 0 -1"), s.run("LRANGE l 0 -1"));
        assert_eq!(
            restore(&mut s, "l2", "0", &list, &[]),
            "-BUSYKEY Target key name already exists.\r\n"
        );
        assert_eq!(
            restore(&mut s, "l2", "5000", &zset, &["REPLACE"]),
            "+OK\r\n"
        );
        assert_eq!(
            s.run("ZRANGE l2 0 -1 WITHSCORES"),
            s.run("ZRANGE z 0 -1 WITHSCORES")
        );
        assert_eq!(s.run("PTTL l2"), ":5000\r\n");
        assert_eq!(s.run("DUMP nokey"), "$-1\r\n");
    }

    #[test]
    fn restore_errors_in_redis_order() {
        let mut s = Session::new();
        s.run("SET k v");
        let payload = dump(&mut s, "k");
        assert_eq!(
            restore(&mut s, "n", "-1", &payload, &[]),
            "-ERR Invalid TTL value, must be >= 0\r\n"
        );
        assert_eq!(
            restore(&mut s, "n", "0", &payload, &["FOO"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            restore(&mut s, "n", "0", &payload, &["FREQ", "256"]),
            "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
        );
        assert_eq!(
            restore(&mut s, "n", "0", b"garbage-payload", &[]),
            "-ERR DUMP payload version or checksum are wrong\r\n"
        );
        // ABSTTL takes the expiry time as is (the session's clock is 0).
        assert_eq!(restore(&mut s, "n", "7", &payload, &["ABSTTL"]), "+OK\r\n");
        assert_eq!(s.run("PEXPIRETIME n"), ":7\r\n");
    }
}
