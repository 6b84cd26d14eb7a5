//! SET and its relatives (SETNX, SETEX, PSETEX) and GETEX, which share
//! Redis's option parser (`parseExtendedStringArgumentsOrReply`) and expire
//! validation (`getExpireMillisecondsOrReply`).
//!
//! The order of checks is observable and follows Redis: options (syntax
//! errors), then the expire value, then GET's type check, then NX/XX.
//! Redis 7.0 accepts NX together with GET.

use crate::command::Ctx;
use crate::commands::keys::expire::invalid_expire_time;
use crate::commands::keys::option_is;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::value::Value;

use super::lookup_string;

/// How an expire argument is meant.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExpireKind {
    /// EX: seconds from now.
    Ex,
    /// PX: milliseconds from now.
    Px,
    /// EXAT: a Unix time in seconds.
    ExAt,
    /// PXAT: a Unix time in milliseconds.
    PxAt,
}

#[derive(Default)]
struct Options<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Set,
    GetEx,
}

impl<'a> Options<'a> {
    /// Redis's parser, condition for condition: an option is accepted only
    /// if no conflicting one was seen before, so `EX 1 EX 2` is fine (the
    /// last wins) while `EX 1 PX 2` is a syntax error.
    fn parse(args: &'a [Vec<u8>], family: Family) -> Result<Options<'a>, Reply> {
        let mut o = Options::default();
        let set = family == Family::Set;
        let mut j = 0;
        while j < args.len() {
            let opt = &args[j];
            let next = args.get(j + 1).map(Vec::as_slice);
            let kind = o.expire.map(|(k, _)| k);
            let other_expire = |k: ExpireKind| kind.is_some_and(|seen| seen != k);
            if set && option_is(opt, "nx") && !o.xx {
                o.nx = true;
            } else if set && option_is(opt, "xx") && !o.nx {
                o.xx = true;
            } else if set && option_is(opt, "get") {
                o.get = true;
            } else if set && option_is(opt, "keepttl") && !o.persist && kind.is_none() {
                o.keep_ttl = true;
            } else if !set && option_is(opt, "persist") && kind.is_none() && !o.keep_ttl {
                o.persist = true;
            } else if let (Some(k), Some(value)) = (expire_kind(opt), next) {
                if o.keep_ttl || o.persist || other_expire(k) {
                    return Err(Reply::syntax_error());
                }
                o.expire = Some((k, value));
                j += 1;
            } else {
                return Err(Reply::syntax_error());
            }
            j += 1;
        }
        Ok(o)
    }
}

fn expire_kind(opt: &[u8]) -> Option<ExpireKind> {
    [
        ("ex", ExpireKind::Ex),
        ("px", ExpireKind::Px),
        ("exat", ExpireKind::ExAt),
        ("pxat", ExpireKind::PxAt),
    ]
    .into_iter()
    .find(|(name, _)| option_is(opt, name))
    .map(|(_, kind)| kind)
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute expire time in ms.
/// Zero and negative values are invalid, as are values whose conversion
/// to milliseconds, or addition to the current time, overflows.
fn expire_at_ms(now_ms: i64, kind: ExpireKind, raw: &[u8], command: &str) -> Result<i64, Reply> {
    let value = parse_i64(raw).ok_or_else(Reply::not_integer)?;
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if value <= 0 || (seconds && value > i64::MAX / 1000) {
        return Err(invalid_expire_time(command));
    }
    let mut ms = if seconds { value * 1000 } else { value };
    if matches!(kind, ExpireKind::Ex | ExpireKind::Px) {
        // Redis adds in C and checks for a wrapped (non-positive) result.
        ms = ms.wrapping_add(now_ms);
    }
    if ms <= 0 {
        return Err(invalid_expire_time(command));
    }
    Ok(ms)
}

/// What a SET-family call replies when it stores or when NX/XX stop it.
struct Replies {
    ok: Reply,
    aborted: Reply,
}

/// Redis's `setGenericCommand`.
fn set_generic(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    options: &Options,
    value: &[u8],
    replies: Replies,
) -> Reply {
    let key = &args[1];
    let expire_at = match options.expire {
        Some((kind, raw)) => {
            let command = String::from_utf8_lossy(&args[0].to_ascii_lowercase()).into_owned();
            match expire_at_ms(ctx.now_ms, kind, raw, &command) {
                Ok(ms) => Some(ms),
                Err(reply) => return reply,
            }
        }
        None => None,
    };
    let old = if options.get {
        match lookup_string(ctx, key) {
            Ok(old) => Some(old),
            Err(reply) => return reply,
        }
    } else {
        None
    };
    // Whether the key is there matters only to NX and XX; its lazy expiry
    // happens either way.
    let found = if options.nx || options.xx {
        ctx.db.exists(key, ctx.now_ms)
    } else {
        ctx.db.expire_if_needed(key, ctx.now_ms);
        false
    };
    if (options.nx && found) || (options.xx && !found) {
        return match old {
            Some(old) => old.map_or(Reply::Null, Reply::Bulk),
            None => replies.aborted,
        };
    }
    ctx.db
        .set(key, Value::String(value.to_vec()), options.keep_ttl);
    if let Some(at) = expire_at {
        ctx.db.set_expire(key, Some(at));
    }
    match old {
        Some(old) => old.map_or(Reply::Null, Reply::Bulk),
        None => replies.ok,
    }
}

/// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]:
/// `OK`, or nil when NX/XX prevented it; with GET, the old value instead.
/// A TTL is dropped unless KEEPTTL. An EXAT/PXAT in the past stores a key
/// that is already expired (it vanishes on next access), as Redis 7.0 does.
pub fn set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let options = match Options::parse(&args[3..], Family::Set) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    let replies = Replies {
        ok: Reply::ok(),
        aborted: Reply::Null,
    };
    set_generic(ctx, args, &options, &args[2], replies)
}

/// SETNX key value: 1 if set, 0 if the key existed.
pub fn setnx(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let options = Options {
        nx: true,
        ..Options::default()
    };
    let replies = Replies {
        ok: Reply::Integer(1),
        aborted: Reply::Integer(0),
    };
    set_generic(ctx, args, &options, &args[2], replies)
}

/// SETEX key seconds value.
pub fn setex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let options = Options {
        expire: Some((ExpireKind::Ex, &args[2])),
        ..Options::default()
    };
    let replies = Replies {
        ok: Reply::ok(),
        aborted: Reply::Null,
    };
    set_generic(ctx, args, &options, &args[3], replies)
}

/// PSETEX key milliseconds value.
pub fn psetex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let options = Options {
        expire: Some((ExpireKind::Px, &args[2])),
        ..Options::default()
    };
    let replies = Replies {
        ok: Reply::ok(),
        aborted: Reply::Null,
    };
    set_generic(ctx, args, &options, &args[3], replies)
}

/// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]: the value (nil if
/// missing), setting or removing its TTL. A missing key wins over a bad
/// expire value; an EXAT/PXAT already past deletes the key after replying.
pub fn getex(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let options = match Options::parse(&args[2..], Family::GetEx) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    let key = &args[1];
    let value = match lookup_string(ctx, key) {
        Ok(Some(v)) => v,
        Ok(None) => return Reply::Null,
        Err(reply) => return reply,
    };
    let now = ctx.now_ms;
    if let Some((kind, raw)) = options.expire {
        let at = match expire_at_ms(now, kind, raw, "getex") {
            Ok(at) => at,
            Err(reply) => return reply,
        };
        if matches!(kind, ExpireKind::ExAt | ExpireKind::PxAt) && at <= now {
            ctx.db.remove(key);
        } else {
            ctx.db.set_expire(key, Some(at));
            ctx.db.signal_modified(key);
        }
    } else if options.persist && ctx.db.peek(key).is_some_and(|e| e.expire_at_ms.is_some()) {
        ctx.db.set_expire(key, None);
        ctx.db.signal_modified(key);
    }
    Reply::Bulk(value)
}
