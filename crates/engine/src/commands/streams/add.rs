//! Adding and removing entries: XADD, XTRIM, XDEL, XLEN, XSETID.

use super::id::{parse_strict_id, parse_xadd_id};
use super::{
    c_str, id_reply, keyword, node_limits, parse_integer, stream_mut, Ctx, Reply, Stream, StreamId,
};
use crate::types::stream::{AppendError, Fields, Trim, TrimStrategy};
use crate::value::Value;

/// What XADD/XTRIM's options say (`streamAddTrimArgs`).
#[derive(Default)]
struct AddTrimArgs {
    /// XADD's explicit ID and whether its sequence was given (`ms-*` is not).
    id: Option<(StreamId, bool)>,
    no_mkstream: bool,
    trim: Option<Trim>,
    /// Where the ID is (XADD); the fields follow it.
    id_pos: usize,
}

/// Parses `[NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]` and,
/// for XADD, the ID, in Redis's order (`streamParseAddOrTrimArgsOrReply`).
fn parse_add_trim(ctx: &Ctx, args: &[Vec<u8>], xadd: bool) -> Result<AddTrimArgs, Reply> {
    let mut parsed = AddTrimArgs::default();
    let mut strategy: Option<TrimStrategy> = None;
    let mut approx = false;
    let mut limit: Option<i64> = None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = &args[i];
        if xadd && c_str(opt) == b"*" {
            break;
        } else if (keyword(opt, "maxlen") || keyword(opt, "minid")) && more > 0 {
            if strategy.is_some() {
                return Err(Reply::error(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            approx = false;
            let next = c_str(&args[i + 1]);
            if more >= 2 && next == b"~" {
                approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let threshold = &args[i + 1];
            strategy = Some(if keyword(opt, "maxlen") {
                let max = parse_integer(threshold)?;
                if max < 0 {
                    return Err(Reply::error("ERR The MAXLEN argument must be >= 0."));
                }
                TrimStrategy::MaxLen(max as u64)
            } else {
                TrimStrategy::MinId(parse_strict_id(threshold, 0)?)
            });
            i += 1;
        } else if keyword(opt, "limit") && more > 0 {
            let count = parse_integer(&args[i + 1])?;
            if count < 0 {
                return Err(Reply::error("ERR The LIMIT argument must be >= 0."));
            }
            limit = Some(count);
            i += 1;
        } else if xadd && keyword(opt, "nomkstream") {
            parsed.no_mkstream = true;
        } else if xadd {
            parsed.id = Some(parse_xadd_id(opt)?);
            break;
        } else {
            return Err(Reply::syntax_error());
        }
        i += 1;
    }
    parsed.id_pos = i;
    if limit.is_some_and(|l| l != 0) && strategy.is_none() {
        return Err(Reply::error(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && strategy.is_none() {
        return Err(Reply::error(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    let limit = match limit {
        Some(_) if !approx => {
            return Err(Reply::error(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
        Some(given) => given as u64,
        // Approximate trimming does at most 100 nodes' worth of work.
        None if approx => match 100 * node_limits(ctx).max_entries {
            0 => 10_000,
            work => work.min(1_000_000),
        },
        None => 0,
    };
    parsed.trim = strategy.map(|strategy| Trim {
        strategy,
        approx,
        limit,
    });
    Ok(parsed)
}

/// XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]]
/// <*|id> field value [field value ...]
///
/// Appends an entry and returns its ID. `*` takes the node clock's
/// milliseconds (never going back: an older clock reuses the last ID's
/// milliseconds with the next sequence); `ms-*` picks the sequence. With
/// NOMKSTREAM a missing key gives a null reply. Trimming runs after the
/// append, and Redis keeps the stream even when it ends up empty.
pub fn xadd(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let parsed = match parse_add_trim(ctx, args, true) {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let field_pos = parsed.id_pos + 1;
    if args.len() < field_pos + 2 || (args.len() - field_pos) % 2 == 1 {
        return Reply::wrong_arity("xadd");
    }
    if let Some((id, true)) = parsed.id {
        if id.is_zero() {
            return Reply::error("ERR The ID specified in XADD must be greater than 0-0");
        }
    }
    let key = &args[1];
    let limits = node_limits(ctx);
    let now = ctx.now_ms;
    let fields: Fields = args[field_pos..]
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    let created = match stream_mut(ctx, key) {
        Err(reply) => return reply,
        Ok(Some(_)) => false,
        Ok(None) if parsed.no_mkstream => return Reply::Null,
        Ok(None) => true,
    };
    if created {
        ctx.db.set(key, Value::Stream(Stream::new()), false);
    }
    let Ok(Some(stream)) = stream_mut(ctx, key) else {
        return Reply::wrong_type();
    };
    if stream.last_id == StreamId::MAX {
        return Reply::error(
            "ERR The stream has exhausted the last possible ID, unable to add more items",
        );
    }
    let id = match parsed.id {
        None => stream.next_auto_id(now),
        Some((id, true)) => Some(id),
        Some((id, false)) if id.ms == stream.last_id.ms => {
            if stream.last_id.seq == u64::MAX {
                // Redis fails here without setting errno and picks its
                // message from a stale one: "too large" in practice (the
                // ID message only right after an ID failure in one EXEC).
                return Reply::error("ERR Elements are too large to be stored");
            } else {
                Some(StreamId::new(id.ms, stream.last_id.seq + 1))
            }
        }
        Some((id, false)) => Some(id),
    };
    let appended = match id {
        Some(id) => stream.append(id, fields, limits),
        // The sequence wrapped past the last possible ID.
        None => Err(AppendError::IdTooSmall),
    };
    let id =
        match appended {
            Ok(id) => id,
            Err(AppendError::IdTooSmall) => return Reply::error(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            ),
            Err(AppendError::TooLarge) => {
                return Reply::error("ERR Elements are too large to be stored")
            }
        };
    if let Some(trim) = parsed.trim {
        let removed = stream.trim(trim);
        ctx.charge(removed as usize);
    }
    ctx.charge(args.len() - field_pos);
    ctx.db.signal_modified(key);
    id_reply(id)
}

/// XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]: removes entries
/// from the head and returns how many. With `~` only whole macro nodes
/// (100 entries by default) go, so small streams are not trimmed at all.
pub fn xtrim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let parsed = match parse_add_trim(ctx, args, false) {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let Some(trim) = parsed.trim else {
        return Reply::syntax_error();
    };
    let removed = match stream_mut(ctx, &args[1]) {
        Err(reply) => return reply,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(stream)) => stream.trim(trim),
    };
    if removed > 0 {
        ctx.charge(removed as usize);
        ctx.db.signal_modified(&args[1]);
    }
    Reply::Integer(removed as i64)
}

/// XDEL key id [id ...]: deletes entries, returning how many existed. A
/// missing key answers 0 before the IDs are even looked at.
pub fn xdel(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let stream = match stream_mut(ctx, &args[1]) {
        Err(reply) => return reply,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(stream)) => stream,
    };
    let mut ids = Vec::with_capacity(args.len() - 2);
    for arg in &args[2..] {
        match parse_strict_id(arg, 0) {
            Ok(id) => ids.push(id),
            Err(reply) => return reply,
        }
    }
    let mut deleted = 0;
    let mut first_deleted = false;
    for id in ids {
        if stream.delete(id) {
            first_deleted |= id == stream.first_id;
            if id > stream.max_deleted_entry_id {
                stream.max_deleted_entry_id = id;
            }
            deleted += 1;
        }
    }
    if deleted > 0 {
        if stream.is_empty() || first_deleted {
            stream.refresh_first_id();
        }
        ctx.charge(args.len() - 2);
        ctx.db.signal_modified(&args[1]);
    }
    Reply::Integer(deleted)
}

/// XLEN key: the number of entries (0 for a missing key).
pub fn xlen(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match stream_mut(ctx, &args[1]) {
        Err(reply) => reply,
        Ok(None) => Reply::Integer(0),
        Ok(Some(stream)) => Reply::Integer(stream.len() as i64),
    }
}

/// XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]: sets the
/// stream's last ID (never below its top entry) and counters; used by
/// replication, handy for lessons that need a given next ID.
pub fn xsetid(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let id = match parse_strict_id(&args[2], 0) {
        Ok(id) => id,
        Err(reply) => return reply,
    };
    let mut entries_added: i64 = -1;
    let mut max_deleted = StreamId::MIN;
    let mut i = 3;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if keyword(&args[i], "entriesadded") && more > 0 {
            match parse_integer(&args[i + 1]) {
                Ok(n) if n < 0 => return Reply::error("ERR entries_added must be positive"),
                Ok(n) => entries_added = n,
                Err(reply) => return reply,
            }
            i += 2;
        } else if keyword(&args[i], "maxdeletedid") && more > 0 {
            match parse_strict_id(&args[i + 1], 0) {
                Ok(max) if id < max => {
                    return Reply::error(
                        "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                    )
                }
                Ok(max) => max_deleted = max,
                Err(reply) => return reply,
            }
            i += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    let stream = match stream_mut(ctx, &args[1]) {
        Err(reply) => return reply,
        Ok(None) => return Reply::error("ERR no such key"),
        Ok(Some(stream)) => stream,
    };
    if let Some(top) = stream.last_live_id() {
        if id < top {
            return Reply::error(
                "ERR The ID specified in XSETID is smaller than the target stream top item",
            );
        }
        if entries_added != -1 && stream.len() > entries_added as u64 {
            return Reply::error(
                "ERR The entries_added specified in XSETID is smaller than the target stream length",
            );
        }
    }
    stream.last_id = id;
    if entries_added != -1 {
        stream.entries_added = entries_added as u64;
    }
    if !max_deleted.is_zero() {
        stream.max_deleted_entry_id = max_deleted;
    }
    Reply::ok()
}
