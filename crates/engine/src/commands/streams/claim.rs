//! The pending entries list: XPENDING, XCLAIM, XAUTOCLAIM.
//!
//! Idle times are measured on the node clock (`ctx.now_ms`) against each
//! pending entry's last delivery time.

use super::id::{parse_interval, parse_strict_id, try_parse_strict_id};
use super::{
    entry_reply, format_error, id_reply, keyword, no_such_key_or_group, parse_integer,
    parse_integer_or, quoted, stream_mut, Ctx, Reply, StreamId,
};
use crate::types::stream::{ConsumerGroup, PendingEntry};

/// Parses an interval start/end pair the way XPENDING and XAUTOCLAIM do.
fn interval_start(arg: &[u8]) -> Result<StreamId, Reply> {
    match parse_interval(arg, 0)? {
        (id, false) => Ok(id),
        (id, true) => id
            .next()
            .ok_or_else(|| Reply::error("ERR invalid start ID for the interval")),
    }
}

fn interval_end(arg: &[u8]) -> Result<StreamId, Reply> {
    match parse_interval(arg, u64::MAX)? {
        (id, false) => Ok(id),
        (id, true) => id
            .prev()
            .ok_or_else(|| Reply::error("ERR invalid end ID for the interval")),
    }
}

/// XPENDING key group [[IDLE min-idle] start end count [consumer]]
///
/// Without a range: `[count, first id, last id, [[consumer, count], ...]]`
/// (nils and a null array when nothing is pending). With one: up to
/// `count` entries `[id, consumer, idle ms, deliveries]`, optionally only
/// one consumer's and only those idle at least `min-idle` ms.
pub fn xpending(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match pending(ctx, args) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn pending(ctx: &mut Ctx, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(Reply::syntax_error());
    }
    let mut range = None;
    if argc >= 6 {
        let mut start_at = 3;
        let mut min_idle = 0;
        if keyword(&args[3], "idle") {
            min_idle = parse_integer(&args[4])?;
            if argc < 8 {
                return Err(Reply::syntax_error());
            }
            start_at += 2;
        }
        let count = parse_integer(&args[start_at + 2])?.max(0) as usize;
        let start = interval_start(&args[start_at])?;
        let end = interval_end(&args[start_at + 1])?;
        let consumer = args.get(start_at + 3);
        range = Some((min_idle, start, end, count, consumer));
    }
    let now = ctx.now_ms;
    let (key, group_name) = (&args[1], &args[2]);
    let group = stream_mut(ctx, key)?
        .and_then(|s| s.groups.get(group_name.as_slice()))
        .ok_or_else(|| no_such_key_or_group(key, group_name, ""))?;
    let Some((min_idle, start, end, count, consumer)) = range else {
        return Ok(summary(group));
    };
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match group.consumers.get(name.as_slice()) {
            None => return Ok(Reply::Array(Vec::new())),
            Some(c) => c.pending.range(start..).copied().collect(),
        },
        None => group.pel.range(start..).map(|(id, _)| *id).collect(),
    };
    let mut out = Vec::new();
    for id in ids.into_iter().take_while(|id| *id <= end) {
        if out.len() == count {
            break;
        }
        let Some(entry) = group.pel.get(&id) else {
            continue;
        };
        if min_idle != 0 && now - entry.delivery_time < min_idle {
            continue;
        }
        out.push(Reply::Array(vec![
            id_reply(id),
            Reply::bulk(&entry.consumer),
            Reply::Integer((now - entry.delivery_time).max(0)),
            Reply::Integer(entry.delivery_count as i64),
        ]));
    }
    let scanned = out.len();
    ctx.charge(scanned);
    Ok(Reply::Array(out))
}

fn summary(group: &ConsumerGroup) -> Reply {
    let (Some(first), Some(last)) = (group.pel.keys().next(), group.pel.keys().next_back()) else {
        return Reply::Array(vec![
            Reply::Integer(0),
            Reply::Null,
            Reply::Null,
            Reply::NullArray,
        ]);
    };
    let consumers = group
        .consumers
        .iter()
        .filter(|(_, c)| !c.pending.is_empty())
        .map(|(name, c)| {
            Reply::Array(vec![
                Reply::bulk(name),
                Reply::bulk(c.pending.len().to_string()),
            ])
        })
        .collect();
    Reply::Array(vec![
        Reply::Integer(group.pel.len() as i64),
        id_reply(*first),
        id_reply(*last),
        Reply::Array(consumers),
    ])
}

/// XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME
/// ms-unix-time] [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]
///
/// Gives `consumer` the listed pending entries idle for at least
/// `min-idle-time` ms, resetting their idle time (or setting it with
/// IDLE/TIME) and counting a delivery (not with JUSTID; RETRYCOUNT sets the
/// count). FORCE also claims entries that are not pending but exist. IDs
/// whose entry was deleted are dropped from the PEL and not returned.
/// Replies with the claimed entries, or just their IDs with JUSTID.
pub fn xclaim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match claim(ctx, args) {
        Ok(reply) | Err(reply) => reply,
    }
}

fn claim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let now = ctx.now_ms;
    let (key, group_name, consumer) = (&args[1], &args[2], &args[3]);
    let stream = stream_mut(ctx, key)?
        .filter(|s| s.groups.contains_key(group_name.as_slice()))
        .ok_or_else(|| no_such_key_or_group(key, group_name, ""))?;
    let min_idle = parse_integer_or(&args[4], "Invalid min-idle-time argument for XCLAIM")?.max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while let Some(id) = args.get(j).and_then(|arg| try_parse_strict_id(arg, 0)) {
        ids.push(id);
        j += 1;
    }
    let mut force = false;
    let mut justid = false;
    let mut retry_count: Option<u64> = None;
    let mut delivery_time: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if keyword(opt, "force") {
            force = true;
        } else if keyword(opt, "justid") {
            justid = true;
        } else if keyword(opt, "idle") && more > 0 {
            j += 1;
            let idle = parse_integer_or(&args[j], "Invalid IDLE option argument for XCLAIM")?;
            delivery_time = Some(now.wrapping_sub(idle));
        } else if keyword(opt, "time") && more > 0 {
            j += 1;
            delivery_time = Some(parse_integer_or(
                &args[j],
                "Invalid TIME option argument for XCLAIM",
            )?);
        } else if keyword(opt, "retrycount") && more > 0 {
            j += 1;
            let count =
                parse_integer_or(&args[j], "Invalid RETRYCOUNT option argument for XCLAIM")?;
            // Redis keeps -1 for "not given"; other negatives count as given.
            retry_count = (count >= 0).then_some(count as u64);
        } else if keyword(opt, "lastid") && more > 0 {
            j += 1;
            last_id = parse_strict_id(&args[j], 0)?;
        } else {
            return Err(format_error(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                quoted(opt)
            )));
        }
        j += 1;
    }
    // A bogus delivery time (negative or in the future) means now.
    let delivery_time = delivery_time
        .filter(|t| (0..=now).contains(t))
        .unwrap_or(now);
    let mut claimed = Vec::new();
    if let Some(group) = stream.groups.get_mut(group_name.as_slice()) {
        if last_id > group.last_id {
            group.last_id = last_id;
        }
    }
    let mut consumer_ready = false;
    for id in ids {
        let fields = stream.get(id).cloned();
        let Some(group) = stream.groups.get_mut(group_name.as_slice()) else {
            break;
        };
        let Some(fields) = fields else {
            group.remove_pending(id);
            continue;
        };
        let forced = force && !group.pel.contains_key(&id);
        if forced {
            group.pel.insert(
                id,
                PendingEntry {
                    consumer: consumer.clone(),
                    delivery_time: now,
                    delivery_count: 1,
                },
            );
        }
        let Some(entry) = group.pel.get(&id) else {
            continue;
        };
        if !forced && min_idle != 0 && now - entry.delivery_time < min_idle {
            continue;
        }
        if !consumer_ready {
            group.touch_consumer(consumer, now);
            consumer_ready = true;
        }
        if let Some(entry) = group.pel.get_mut(&id) {
            entry.delivery_time = delivery_time;
            match retry_count {
                Some(count) => entry.delivery_count = count,
                None if !justid => entry.delivery_count += 1,
                None => {}
            }
        }
        group.assign_pending(id, consumer);
        claimed.push(if justid {
            id_reply(id)
        } else {
            entry_reply(id, &fields)
        });
    }
    let n = claimed.len();
    ctx.charge(n);
    Ok(Reply::Array(claimed))
}

/// XAUTOCLAIM key group consumer min-idle-time start [COUNT n] [JUSTID]
///
/// Scans the PEL from `start`, claiming up to COUNT (default 100) entries
/// idle at least `min-idle-time` ms, looking at no more than ten times as
/// many. Replies `[next cursor or 0-0, claimed entries (or IDs), IDs of
/// entries found deleted and dropped from the PEL]`.
pub fn xautoclaim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match autoclaim(ctx, args) {
        Ok(reply) | Err(reply) => reply,
    }
}

/// The largest COUNT Redis accepts (`LONG_MAX / 16`).
const AUTOCLAIM_MAX_COUNT: i64 = i64::MAX / 16;

fn autoclaim(ctx: &mut Ctx, args: &[Vec<u8>]) -> Result<Reply, Reply> {
    let min_idle =
        parse_integer_or(&args[4], "Invalid min-idle-time argument for XAUTOCLAIM")?.max(0);
    let start = interval_start(&args[5])?;
    let mut count: i64 = 100;
    let mut justid = false;
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if keyword(&args[j], "count") && more > 0 {
            count = parse_integer_or(&args[j + 1], "COUNT must be > 0")?;
            if !(1..=AUTOCLAIM_MAX_COUNT).contains(&count) {
                return Err(Reply::error("ERR COUNT must be > 0"));
            }
            j += 1;
        } else if keyword(&args[j], "justid") {
            justid = true;
        } else {
            return Err(Reply::syntax_error());
        }
        j += 1;
    }
    let now = ctx.now_ms;
    let (key, group_name, consumer) = (&args[1], &args[2], &args[3]);
    let stream = stream_mut(ctx, key)?
        .filter(|s| s.groups.contains_key(group_name.as_slice()))
        .ok_or_else(|| no_such_key_or_group(key, group_name, ""))?;
    let mut count = count as u64;
    let mut attempts = count.saturating_mul(10);
    let candidates: Vec<StreamId> = match stream.groups.get(group_name.as_slice()) {
        Some(group) => group
            .pel
            .range(start..)
            .map(|(id, _)| *id)
            .take(usize::try_from(attempts.saturating_add(1)).unwrap_or(usize::MAX))
            .collect(),
        None => Vec::new(),
    };
    let mut claimed = Vec::new();
    let mut deleted = Vec::new();
    let mut next = 0;
    let mut consumer_ready = false;
    while attempts > 0 && count > 0 && next < candidates.len() {
        attempts -= 1;
        let id = candidates[next];
        next += 1;
        let fields = stream.get(id).cloned();
        let Some(group) = stream.groups.get_mut(group_name.as_slice()) else {
            break;
        };
        let Some(fields) = fields else {
            group.remove_pending(id);
            deleted.push(id_reply(id));
            count -= 1;
            continue;
        };
        let idle_enough = group
            .pel
            .get(&id)
            .is_some_and(|entry| min_idle == 0 || now - entry.delivery_time >= min_idle);
        if !idle_enough {
            continue;
        }
        if !consumer_ready {
            group.touch_consumer(consumer, now);
            consumer_ready = true;
        }
        if let Some(entry) = group.pel.get_mut(&id) {
            entry.delivery_time = now;
            if !justid {
                entry.delivery_count += 1;
            }
        }
        group.assign_pending(id, consumer);
        claimed.push(if justid {
            id_reply(id)
        } else {
            entry_reply(id, &fields)
        });
        count -= 1;
    }
    let cursor = candidates.get(next).copied().unwrap_or(StreamId::MIN);
    ctx.charge(next);
    Ok(Reply::Array(vec![
        id_reply(cursor),
        Reply::Array(claimed),
        Reply::Array(deleted),
    ]))
}
