//! XRANGE and XREVRANGE.

use super::id::parse_interval;
use super::{entry_reply, keyword, parse_integer, stream_mut, Ctx, Reply, StreamId};

/// XRANGE key start end [COUNT n]: entries with IDs in `start..=end`.
/// `-`/`+` are the extremes, `(id` excludes the bound, and an ID without
/// sequence means `ms-0` as a start and `ms-<max>` as an end. COUNT 0 (or
/// negative) gives a null array, a missing key an empty one.
pub fn xrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range(ctx, args, false)
}

/// XREVRANGE key end start [COUNT n]: the same, newest first.
pub fn xrevrange(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    range(ctx, args, true)
}

fn range(ctx: &mut Ctx, args: &[Vec<u8>], rev: bool) -> Reply {
    let (start_arg, end_arg) = if rev {
        (&args[3], &args[2])
    } else {
        (&args[2], &args[3])
    };
    let start = match parse_interval(start_arg, 0) {
        Err(reply) => return reply,
        Ok((id, false)) => id,
        Ok((id, true)) => match id.next() {
            Some(id) => id,
            None => return Reply::error("ERR invalid start ID for the interval"),
        },
    };
    let end = match parse_interval(end_arg, u64::MAX) {
        Err(reply) => return reply,
        Ok((id, false)) => id,
        Ok((id, true)) => match id.prev() {
            Some(id) => id,
            None => return Reply::error("ERR invalid end ID for the interval"),
        },
    };
    let mut count: Option<usize> = None;
    let mut j = 4;
    while j < args.len() {
        if keyword(&args[j], "count") && j + 1 < args.len() {
            match parse_integer(&args[j + 1]) {
                Ok(n) => count = Some(n.max(0) as usize),
                Err(reply) => return reply,
            }
            j += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    let stream = match stream_mut(ctx, &args[1]) {
        Err(reply) => return reply,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(stream)) => stream,
    };
    if count == Some(0) {
        return Reply::NullArray;
    }
    let limit = count.unwrap_or(usize::MAX);
    let entries: Vec<Reply> = if rev {
        let iter = stream.range(start, end).rev().take(limit);
        iter.map(|(id, fields)| entry_reply(*id, fields)).collect()
    } else {
        let iter = stream.range(start, end).take(limit);
        iter.map(|(id, fields)| entry_reply(*id, fields)).collect()
    };
    ctx.charge(entries.len());
    Reply::Array(entries)
}

/// Entries after `after`, oldest first, at most `count` (0 for all).
pub(super) fn entries_after(
    stream: &crate::types::stream::Stream,
    after: StreamId,
    count: usize,
) -> Vec<(StreamId, crate::types::stream::Fields)> {
    let Some(start) = after.next() else {
        return Vec::new();
    };
    let limit = if count == 0 { usize::MAX } else { count };
    stream
        .range(start, StreamId::MAX)
        .take(limit)
        .map(|(id, fields)| (*id, fields.clone()))
        .collect()
}
