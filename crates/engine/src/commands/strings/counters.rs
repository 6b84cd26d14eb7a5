//! INCR/DECR/INCRBY/DECRBY and INCRBYFLOAT.
//!
//! Counters keep the key's TTL (Redis overwrites the value in place). The
//! stored value must parse strictly as Redis's `string2ll` (no spaces, no
//! `+`, no leading zeros) or `string2ld` for the float variant, which is
//! computed in a software model of the x87 `long double` Redis uses (see
//! [`crate::numbers::long_double`]) so results print identically.

use crate::command::{Args, Ctx};
use crate::numbers::{parse_i64, LongDouble};
use crate::reply::Reply;
use crate::value::Value;

use super::lookup_string;

/// INCR key: adds 1; a missing key counts as 0.
pub fn incr(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    incr_decr(ctx, &args[1], 1)
}

/// DECR key: subtracts 1.
pub fn decr(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    incr_decr(ctx, &args[1], -1)
}

/// INCRBY key increment.
pub fn incrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Args::handle(args, |args| {
        let key = args.next_bytes()?;
        let by = args.next_int()?;
        Ok(incr_decr(ctx, key, by))
    })
}

/// DECRBY key decrement. Negating i64::MIN would overflow, which Redis
/// reports with its own message before looking at the key.
pub fn decrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Args::handle(args, |args| {
        let key = args.next_bytes()?;
        match args.next_int()? {
            i64::MIN => Err(Reply::error("ERR decrement would overflow")),
            by => Ok(incr_decr(ctx, key, -by)),
        }
    })
}

/// Redis's `incrDecrCommand`: type check, then the stored number, then
/// the overflow check; the new value as an integer reply.
fn incr_decr(ctx: &mut Ctx, key: &[u8], by: i64) -> Reply {
    // Read in place: the stored text is parsed, not copied.
    let current = match ctx.db.get(key, ctx.now_ms).map(|entry| &entry.value) {
        Some(Value::String(v)) => match parse_i64(v) {
            Some(n) => n,
            None => return Reply::not_integer(),
        },
        Some(_) => return Reply::wrong_type(),
        None => 0,
    };
    let Some(value) = current.checked_add(by) else {
        return Reply::error("ERR increment or decrement would overflow");
    };
    ctx.db
        .set(key, Value::String(value.to_string().into_bytes()), true);
    Reply::Integer(value)
}

/// INCRBYFLOAT key increment: the new value as a bulk string, printed as
/// Redis's `%.17Lf` with trailing zeros removed. Both the stored value
/// and the increment must be valid floats (`ERR value is not a valid
/// float`); a result that is infinite or NaN is refused and nothing changes.
pub fn incrbyfloat(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    let current = match lookup_string(ctx, key) {
        Ok(Some(v)) => match LongDouble::parse(&v) {
            Some(n) => n,
            None => return Reply::not_float(),
        },
        Ok(None) => LongDouble::ZERO,
        Err(reply) => return reply,
    };
    let Some(by) = LongDouble::parse(&args[2]) else {
        return Reply::not_float();
    };
    let sum = current + by;
    if !sum.is_finite() {
        return Reply::error("ERR increment would produce NaN or Infinity");
    }
    let text = sum.to_human_string().into_bytes();
    ctx.db.set(key, Value::String(text.clone()), true);
    Reply::Bulk(text)
}
