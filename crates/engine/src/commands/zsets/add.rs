//! ZADD and ZINCRBY, which Redis implements as one command
//! (`zaddGenericCommand`): ZINCRBY is ZADD with the INCR option forced on.

use crate::command::Ctx;
use crate::numbers::parse_f64;
use crate::reply::Reply;
use crate::types::zset::{AddFlags, AddOutcome, SortedSet};
use crate::value::Value;

use super::lookup_mut;

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]
///
/// Replies with the number of members added (added or changed with CH),
/// or with INCR, the member's new score (nil when NX/XX/GT/LT held it
/// back). Every score is checked before anything is written, so a bad
/// score leaves the set untouched.
pub fn zadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    add_generic(ctx, args, false)
}

/// ZINCRBY key increment member: the new score. Options are parsed as for
/// ZADD, so `ZINCRBY key nx member` is a syntax error, as in Redis.
pub fn zincrby(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    add_generic(ctx, args, true)
}

fn add_generic(ctx: &mut Ctx, args: &[Vec<u8>], incr: bool) -> Reply {
    let key = &args[1];
    let mut flags = AddFlags {
        incr,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut first_pair = 2;
    while let Some(opt) = args.get(first_pair) {
        match opt.to_ascii_lowercase().as_slice() {
            b"nx" => flags.nx = true,
            b"xx" => flags.xx = true,
            b"ch" => ch = true,
            b"incr" => flags.incr = true,
            b"gt" => flags.gt = true,
            b"lt" => flags.lt = true,
            _ => break,
        }
        first_pair += 1;
    }
    let pairs = &args[first_pair..];
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Reply::syntax_error();
    }
    if flags.nx && flags.xx {
        return Reply::error("ERR XX and NX options at the same time are not compatible");
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Reply::error("ERR GT, LT, and/or NX options at the same time are not compatible");
    }
    if flags.incr && pairs.len() > 2 {
        return Reply::error("ERR INCR option supports a single increment-element pair");
    }
    let mut scores = Vec::with_capacity(pairs.len() / 2);
    for pair in pairs.chunks(2) {
        match parse_f64(&pair[0]) {
            Some(score) => scores.push(score),
            None => return Reply::not_float(),
        }
    }

    let mut created = None;
    let limits = super::listpack_limits(ctx);
    let zset = match lookup_mut(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(Some(zset)) => zset,
        Ok(None) if flags.xx => {
            return if flags.incr {
                Reply::Null
            } else {
                Reply::Integer(0)
            }
        }
        Ok(None) => created.insert(SortedSet::new()),
    };
    zset.set_limits(limits);

    let touched = scores.len();
    let (mut added, mut updated) = (0, 0);
    let mut last_score = None;
    let mut failed = false;
    for (pair, score) in pairs.chunks(2).zip(scores) {
        match zset.add(score, &pair[1], flags) {
            Ok(AddOutcome::Added(s)) => {
                added += 1;
                last_score = Some(s);
            }
            Ok(AddOutcome::Updated(s)) => {
                updated += 1;
                last_score = Some(s);
            }
            Ok(AddOutcome::Unchanged(s)) => last_score = Some(s),
            Ok(AddOutcome::Skipped) => {}
            Err(_) => {
                failed = true;
                break;
            }
        }
    }

    let size = zset.len();
    if added + updated > 0 {
        match created {
            Some(zset) => ctx.db.set(key, Value::ZSet(zset), false),
            None => ctx.db.signal_modified(key),
        }
    }
    ctx.charge_log(touched, size);
    ctx.charge_ns(added as u64 * crate::cost::NEW_MEMBER_NS);
    if failed {
        return Reply::error("ERR resulting score is not a number (NaN)");
    }
    if flags.incr {
        last_score.map_or(Reply::Null, Reply::Double)
    } else {
        Reply::Integer(if ch { added + updated } else { added })
    }
}
