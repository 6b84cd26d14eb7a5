//! XREAD and XREADGROUP.
//!
//! With BLOCK, a read that finds data answers with it; one that finds
//! nothing blocks (see [`crate::blocking`]), or inside MULTI answers at once
//! with the null array a timeout gets. As in Redis, `$` is resolved to the
//! stream's last ID when the call blocks (so the entry that wakes it is not
//! skipped), while `>` is re-read from the group when the client is served;
//! a blocked read gets at most COUNT entries, or 1000 without COUNT; a
//! blocked XREADGROUP whose group or stream goes away is woken with an error.

use super::id::parse_strict_id;
use super::range::entries_after;
use super::{
    c_str, entry_reply, is_resp3, keyword, no_such_key_or_group, parse_integer, quoted, stream_mut,
    Ctx, Reply, StreamId,
};
use crate::blocking::{parse_timeout_millis, GroupWait, StreamWait, Wait};
use crate::types::stream::PendingEntry;

/// COUNT of a blocked read without one (`XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// XREAD [COUNT n] [BLOCK ms] STREAMS key [key ...] id [id ...]
///
/// For each stream, the entries after the given ID (`$` = after the
/// current last ID, i.e. only future entries). Streams with nothing newer
/// are left out; if none has anything the reply is a null array. RESP3
/// answers with a map from key to entries.
pub fn xread(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read(ctx, args, false)
}

/// XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS
/// key [key ...] id [id ...]
///
/// `>` delivers entries the group has not delivered yet, records them in
/// the pending entries list (unless NOACK) under this consumer and moves
/// the group's last-delivered ID. Any other ID replays this consumer's own
/// pending entries after it, counting a new delivery for each; an entry
/// deleted since shows as `[id, nil]`. The consumer is created on first use.
pub fn xreadgroup(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    read(ctx, args, true)
}

struct ReadArgs<'a> {
    count: usize,
    /// BLOCK's timeout in milliseconds (0: forever).
    block: Option<i64>,
    noack: bool,
    group: Option<(&'a [u8], &'a [u8])>,
    /// Where the keys start, and how many streams there are.
    streams_at: usize,
    streams: usize,
}

fn parse_options<'a>(ctx: &Ctx, args: &'a [Vec<u8>], grouped: bool) -> Result<ReadArgs<'a>, Reply> {
    let mut parsed = ReadArgs {
        count: 0,
        block: None,
        noack: false,
        group: None,
        streams_at: 0,
        streams: 0,
    };
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        let opt = &args[i];
        if keyword(opt, "block") && more > 0 {
            if ctx.in_script() {
                return Err(Reply::error(format!(
                    "ERR {} command is not allowed with BLOCK option from scripts",
                    quoted(&args[0])
                )));
            }
            i += 1;
            parsed.block = Some(parse_timeout_millis(&args[i])?);
        } else if keyword(opt, "count") && more > 0 {
            i += 1;
            parsed.count = parse_integer(&args[i])?.max(0) as usize;
        } else if keyword(opt, "streams") && more > 0 {
            parsed.streams_at = i + 1;
            let rest = args.len() - parsed.streams_at;
            if !rest.is_multiple_of(2) {
                return Err(Reply::error(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            parsed.streams = rest / 2;
            break;
        } else if keyword(opt, "group") && more >= 2 {
            if !grouped {
                return Err(Reply::error(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.group = Some((&args[i + 1], &args[i + 2]));
            i += 2;
        } else if keyword(opt, "noack") {
            if !grouped {
                return Err(Reply::error(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                ));
            }
            parsed.noack = true;
        } else {
            return Err(Reply::syntax_error());
        }
        i += 1;
    }
    if parsed.streams_at == 0 {
        return Err(Reply::syntax_error());
    }
    if grouped && parsed.group.is_none() {
        return Err(Reply::error("ERR Missing GROUP option for XREADGROUP"));
    }
    Ok(parsed)
}

/// The ID after which to read each stream (`StreamId::MAX` stands for `>`).
fn parse_ids(ctx: &mut Ctx, args: &[Vec<u8>], parsed: &ReadArgs) -> Result<Vec<StreamId>, Reply> {
    let mut ids = Vec::with_capacity(parsed.streams);
    for n in 0..parsed.streams {
        let key = &args[parsed.streams_at + n];
        let arg = &args[parsed.streams_at + parsed.streams + n];
        let stream = stream_mut(ctx, key)?;
        if let Some((group, _)) = parsed.group {
            if !stream
                .as_ref()
                .is_some_and(|s| s.groups.contains_key(group))
            {
                return Err(no_such_key_or_group(
                    key,
                    group,
                    " in XREADGROUP with GROUP option",
                ));
            }
        }
        let id = match c_str(arg) {
            b"$" if parsed.group.is_some() => {
                return Err(Reply::error(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
                ));
            }
            b"$" => stream.map_or(StreamId::MIN, |s| s.last_id),
            b">" if parsed.group.is_none() => {
                return Err(Reply::error(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ));
            }
            b">" => StreamId::MAX,
            _ => parse_strict_id(arg, 0)?,
        };
        ids.push(id);
    }
    Ok(ids)
}

fn read(ctx: &mut Ctx, args: &[Vec<u8>], grouped: bool) -> Reply {
    let parsed = match parse_options(ctx, args, grouped) {
        Ok(parsed) => parsed,
        Err(reply) => return reply,
    };
    let ids = match parse_ids(ctx, args, &parsed) {
        Ok(ids) => ids,
        Err(reply) => return reply,
    };
    let resp3 = is_resp3(ctx);
    let now = ctx.now_ms;
    let mut served: Vec<(Reply, Reply)> = Vec::new();
    let mut touched = 0;
    for (n, &after) in ids.iter().enumerate() {
        let key = &args[parsed.streams_at + n];
        let Ok(Some(stream)) = stream_mut(ctx, key) else {
            continue;
        };
        let entries = match parsed.group {
            None => {
                if stream.last_live_id().is_none_or(|top| top <= after) {
                    continue;
                }
                let entries = entries_after(stream, after, parsed.count);
                entries
                    .iter()
                    .map(|(id, fields)| entry_reply(*id, fields))
                    .collect()
            }
            Some((group, consumer)) if after != StreamId::MAX => {
                replay_pending(stream, group, consumer, after, parsed.count, now)
            }
            Some((group, consumer)) => {
                let Some(last_delivered) = stream.groups.get(group).map(|g| g.last_id) else {
                    continue;
                };
                if stream
                    .last_live_id()
                    .is_none_or(|top| top <= last_delivered)
                {
                    continue;
                }
                deliver_new(stream, group, consumer, last_delivered, &parsed, now)
            }
        };
        touched += entries.len();
        served.push((Reply::bulk(key), Reply::Array(entries)));
    }
    ctx.charge(touched);
    if served.is_empty() {
        return match parsed.block {
            Some(timeout) if ctx.may_block() => block(ctx, args, &parsed, &ids, timeout),
            _ => Reply::NullArray,
        };
    }
    streams_reply(served, resp3)
}

/// `[[key, entries], ...]` in RESP2, `{key: entries, ...}` in RESP3.
fn streams_reply(served: Vec<(Reply, Reply)>, resp3: bool) -> Reply {
    if resp3 {
        Reply::Map(served)
    } else {
        Reply::Array(
            served
                .into_iter()
                .map(|(k, v)| Reply::Array(vec![k, v]))
                .collect(),
        )
    }
}

/// Blocks the reader on its streams, each after the ID it asked for (`$`
/// already resolved).
fn block(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    parsed: &ReadArgs,
    ids: &[StreamId],
    timeout: i64,
) -> Reply {
    let keys: Vec<Vec<u8>> = args[parsed.streams_at..parsed.streams_at + parsed.streams].to_vec();
    let mut after = std::collections::BTreeMap::new();
    for (key, &id) in keys.iter().zip(ids) {
        // A key given twice waits after its first ID, as Redis's dict keeps it.
        after.entry(key.clone()).or_insert(id);
    }
    let wait = StreamWait {
        after,
        count: if parsed.count == 0 {
            BLOCKED_DEFAULT_COUNT
        } else {
            parsed.count
        },
        group: parsed.group.map(|(group, consumer)| GroupWait {
            group: group.to_vec(),
            consumer: consumer.to_vec(),
            noack: parsed.noack,
        }),
    };
    ctx.block(keys, timeout, Wait::Stream(wait))
}

/// Serves a client blocked in XREAD/XREADGROUP from the stream at `key`
/// if it has entries after the client's ID (for a group, after the
/// group's last-delivered ID as it is now). A blocked XREADGROUP whose
/// stream or group is gone gets an error.
pub(crate) fn serve_read(ctx: &mut Ctx, key: &[u8], wait: &StreamWait) -> Option<Reply> {
    let now = ctx.now_ms;
    let resp3 = is_resp3(ctx);
    let Ok(Some(stream)) = stream_mut(ctx, key) else {
        return wait
            .group
            .as_ref()
            .map(|_| Reply::error("UNBLOCKED the stream key no longer exists"));
    };
    let entries = match &wait.group {
        None => {
            let after = *wait.after.get(key)?;
            if stream.last_id <= after {
                return None;
            }
            entries_after(stream, after, wait.count)
                .iter()
                .map(|(id, fields)| entry_reply(*id, fields))
                .collect::<Vec<_>>()
        }
        Some(g) => {
            let Some(last_delivered) = stream.groups.get(&g.group).map(|x| x.last_id) else {
                return Some(Reply::error(
                    "NOGROUP the consumer group this client was blocked on no longer exists",
                ));
            };
            if stream.last_id <= last_delivered {
                return None;
            }
            let parsed = ReadArgs {
                count: wait.count,
                block: None,
                noack: g.noack,
                group: None,
                streams_at: 0,
                streams: 0,
            };
            deliver_new(stream, &g.group, &g.consumer, last_delivered, &parsed, now)
        }
    };
    ctx.charge(entries.len());
    Some(streams_reply(
        vec![(Reply::bulk(key), Reply::Array(entries))],
        resp3,
    ))
}

/// Delivers entries after the group's last-delivered ID to `consumer`.
fn deliver_new(
    stream: &mut crate::types::stream::Stream,
    group: &[u8],
    consumer: &[u8],
    after: StreamId,
    parsed: &ReadArgs,
    now: i64,
) -> Vec<Reply> {
    if let Some(g) = stream.groups.get_mut(group) {
        g.touch_consumer(consumer, now);
    }
    let entries = entries_after(stream, after, parsed.count);
    let mut replies = Vec::with_capacity(entries.len());
    for (id, fields) in entries {
        stream.advance_group(group, id);
        if !parsed.noack {
            if let Some(g) = stream.groups.get_mut(group) {
                // After XGROUP SETID an entry may already be pending for
                // another consumer: it moves here and its count restarts.
                let entry = PendingEntry {
                    consumer: consumer.to_vec(),
                    delivery_time: now,
                    delivery_count: 1,
                };
                match g.pel.get_mut(&id) {
                    Some(pending) => {
                        pending.delivery_time = now;
                        pending.delivery_count = 1;
                    }
                    None => {
                        g.pel.insert(id, entry);
                    }
                }
                g.assign_pending(id, consumer);
            }
        }
        replies.push(entry_reply(id, &fields));
    }
    replies
}

/// Replays `consumer`'s pending entries after `after`.
fn replay_pending(
    stream: &mut crate::types::stream::Stream,
    group: &[u8],
    consumer: &[u8],
    after: StreamId,
    count: usize,
    now: i64,
) -> Vec<Reply> {
    let Some(start) = after.next() else {
        return Vec::new();
    };
    let Some(g) = stream.groups.get_mut(group) else {
        return Vec::new();
    };
    let limit = if count == 0 { usize::MAX } else { count };
    let ids: Vec<StreamId> = g
        .touch_consumer(consumer, now)
        .pending
        .range(start..)
        .take(limit)
        .copied()
        .collect();
    let mut replies = Vec::with_capacity(ids.len());
    for id in ids {
        let reply = match stream.get(id) {
            Some(fields) => {
                let reply = entry_reply(id, fields);
                if let Some(pending) = stream
                    .groups
                    .get_mut(group)
                    .and_then(|g| g.pel.get_mut(&id))
                {
                    pending.delivery_time = now;
                    pending.delivery_count += 1;
                }
                reply
            }
            None => Reply::Array(vec![super::id_reply(id), Reply::NullArray]),
        };
        replies.push(reply);
    }
    replies
}
