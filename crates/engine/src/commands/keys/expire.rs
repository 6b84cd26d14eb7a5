//! Key expiry: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT, TTL/PTTL,
//! EXPIRETIME/PEXPIRETIME and PERSIST (Redis's `expire.c`).
//!
//! Times are absolute milliseconds on the node's clock (`ctx.now_ms`).
//! Expired keys are removed lazily by the keyspace when touched, and by the
//! active cycle the simulator runs; a command that sets a time already
//! past deletes the key at once, as Redis does on a master.

use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;

use super::option_is;

/// `ERR invalid expire time in '<command>' command`, for values whose unit
/// conversion or base-time addition would overflow (and for SET/GETEX's
/// non-positive times).
pub fn invalid_expire_time(command: &str) -> Reply {
    Reply::error(format!("ERR invalid expire time in '{command}' command"))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Seconds,
    Milliseconds,
}

/// The NX/XX/GT/LT conditions of the EXPIRE family.
#[derive(Default)]
struct Conditions {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl Conditions {
    fn any(&self) -> bool {
        self.nx || self.xx || self.gt || self.lt
    }

    /// Redis's `parseExtendedExpireArgumentsOrReply`: every option is read
    /// first, then the combinations are checked.
    fn parse(options: &[Vec<u8>]) -> Result<Conditions, Reply> {
        let mut c = Conditions::default();
        for opt in options {
            if option_is(opt, "nx") {
                c.nx = true;
            } else if option_is(opt, "xx") {
                c.xx = true;
            } else if option_is(opt, "gt") {
                c.gt = true;
            } else if option_is(opt, "lt") {
                c.lt = true;
            } else {
                return Err(Reply::error(format!(
                    "ERR Unsupported option {}",
                    super::error_text(opt)
                )));
            }
        }
        if c.nx && (c.xx || c.gt || c.lt) {
            return Err(Reply::error(
                "ERR NX and XX, GT or LT options at the same time are not compatible",
            ));
        }
        if c.gt && c.lt {
            return Err(Reply::error(
                "ERR GT and LT options at the same time are not compatible",
            ));
        }
        Ok(c)
    }

    /// Whether the new time may replace `current` (None: no TTL, which GT
    /// and LT treat as an infinite TTL).
    fn allow(&self, current: Option<i64>, when: i64) -> bool {
        if self.nx && current.is_some() {
            return false;
        }
        if self.xx && current.is_none() {
            return false;
        }
        if self.gt && current.is_none_or(|t| when <= t) {
            return false;
        }
        if self.lt && current.is_some_and(|t| when >= t) {
            return false;
        }
        true
    }
}

/// EXPIRE key seconds [NX|XX|GT|LT]: 1 if the timeout was set, 0 if the key
/// is missing or a condition failed. A time in the past deletes the key.
pub fn expire(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    expire_generic(ctx, args, now, Unit::Seconds)
}

/// PEXPIRE key milliseconds [NX|XX|GT|LT].
pub fn pexpire(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    expire_generic(ctx, args, now, Unit::Milliseconds)
}

/// EXPIREAT key unix-time-seconds [NX|XX|GT|LT].
pub fn expireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, args, 0, Unit::Seconds)
}

/// PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT].
pub fn pexpireat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    expire_generic(ctx, args, 0, Unit::Milliseconds)
}

/// Redis's `expireGenericCommand`: options, then the number, then overflow
/// checks, then the key. Negative times are allowed (they delete the key).
fn expire_generic(ctx: &mut Ctx, args: &[Vec<u8>], base_ms: i64, unit: Unit) -> Reply {
    let name = args[0].to_ascii_lowercase();
    let name = String::from_utf8_lossy(&name);
    let conditions = match Conditions::parse(&args[3..]) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let Some(mut when) = parse_i64(&args[2]) else {
        return Reply::not_integer();
    };
    if unit == Unit::Seconds {
        match when.checked_mul(1000) {
            Some(ms) => when = ms,
            None => return invalid_expire_time(&name),
        }
    }
    match when.checked_add(base_ms) {
        Some(ms) => when = ms,
        None => return invalid_expire_time(&name),
    }
    let key = &args[1];
    let Some(entry) = ctx.db.get(key, ctx.now_ms) else {
        return Reply::Integer(0);
    };
    if conditions.any() && !conditions.allow(entry.expire_at_ms, when) {
        return Reply::Integer(0);
    }
    if when <= ctx.now_ms {
        ctx.db.remove(key);
    } else {
        ctx.db.set_expire(key, Some(when));
        ctx.db.signal_modified(key);
    }
    Reply::Integer(1)
}

/// TTL key: seconds left, rounded to nearest; -2 if missing, -1 if no TTL.
pub fn ttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &args[1], false, false)
}

/// PTTL key: milliseconds left; -2 if missing, -1 if no TTL.
pub fn pttl(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &args[1], true, false)
}

/// EXPIRETIME key: the absolute Unix time in seconds (rounded to nearest).
pub fn expiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &args[1], false, true)
}

/// PEXPIRETIME key: the absolute Unix time in milliseconds.
pub fn pexpiretime(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    ttl_generic(ctx, &args[1], true, true)
}

/// Redis's `ttlGenericCommand`; seconds are `(ms + 500) / 1000`.
fn ttl_generic(ctx: &mut Ctx, key: &[u8], in_ms: bool, absolute: bool) -> Reply {
    let now = ctx.now_ms;
    let Some(entry) = ctx.db.get(key, now) else {
        return Reply::Integer(-2);
    };
    let Some(at) = entry.expire_at_ms else {
        return Reply::Integer(-1);
    };
    let ms = if absolute { at } else { at.saturating_sub(now) }.max(0);
    Reply::Integer(if in_ms {
        ms
    } else {
        ms.saturating_add(500) / 1000
    })
}

/// PERSIST key: 1 if a TTL was removed, 0 if the key is missing or had none.
pub fn persist(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let had_ttl = ctx
        .db
        .get(key, ctx.now_ms)
        .is_some_and(|e| e.expire_at_ms.is_some());
    if !had_ttl {
        return Reply::Integer(0);
    }
    ctx.db.set_expire(key, None);
    ctx.db.signal_modified(key);
    Reply::Integer(1)
}
