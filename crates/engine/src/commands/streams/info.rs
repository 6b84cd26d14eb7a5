//! XINFO STREAM/GROUPS/CONSUMERS.

use super::{entry_reply, format_error, id_reply, keyword, parse_integer, quoted, stream_mut};
use super::{Ctx, Reply, Stream, StreamId};
use crate::command::{flags, spec, CommandSpec, NO_KEYS};
use crate::command::{help_reply, subcommand_syntax_error};
use crate::types::stream::{ConsumerGroup, INVALID_ENTRIES_READ};

pub const XINFO_SUBCOMMANDS: &[CommandSpec] = &[
    spec("stream", -3, flags::READONLY, (2, 2, 1), xinfo_stream),
    spec("groups", 3, flags::READONLY, (2, 2, 1), xinfo_groups),
    spec(
        "consumers",
        4,
        flags::READONLY | flags::RANDOM,
        (2, 2, 1),
        xinfo_consumers,
    ),
    spec(
        "help",
        2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        xinfo_help,
    ),
];

const XINFO_HELP: &[&str] = &[
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
];

/// XINFO HELP.
pub fn xinfo_help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(&args[0], XINFO_HELP)
}

fn field(name: &str, value: Reply) -> (Reply, Reply) {
    (Reply::bulk(name), value)
}

fn with_stream(ctx: &mut Ctx, args: &[Vec<u8>], f: impl FnOnce(&Stream, i64) -> Reply) -> Reply {
    let now = ctx.now_ms;
    match stream_mut(ctx, &args[2]) {
        Ok(Some(stream)) => f(stream, now),
        Ok(None) => Reply::error("ERR no such key"),
        Err(reply) => reply,
    }
}

fn entries_read_reply(group: &ConsumerGroup) -> Reply {
    if group.entries_read == INVALID_ENTRIES_READ {
        Reply::Null
    } else {
        Reply::Integer(group.entries_read)
    }
}

fn lag_reply(stream: &Stream, group: &ConsumerGroup) -> Reply {
    stream.group_lag(group).map_or(Reply::Null, Reply::Integer)
}

/// XINFO STREAM key [FULL [COUNT n]]: the stream's length, layout
/// (macro nodes and radix tree nodes), IDs and counters, then its group
/// count and first/last entries, or with FULL its entries (first COUNT,
/// default 10, 0 for all) and every group with its PEL and consumers.
fn xinfo_stream(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    // Redis looks the key up before it reads the options.
    with_stream(ctx, args, |stream, _| {
        let options = &args[3..];
        let mut full = false;
        let mut count: i64 = 10;
        if !options.is_empty() {
            if (options.len() != 1 && options.len() != 3) || !keyword(&options[0], "full") {
                return subcommand_syntax_error(args);
            }
            if options.len() == 3 {
                if !keyword(&options[1], "count") {
                    return subcommand_syntax_error(args);
                }
                match parse_integer(&options[2]) {
                    Ok(n) if n < 0 => count = 10,
                    Ok(n) => count = n,
                    Err(reply) => return reply,
                }
            }
            full = true;
        }
        let mut map = vec![
            field("length", Reply::Integer(stream.len() as i64)),
            field(
                "radix-tree-keys",
                Reply::Integer(stream.node_count() as i64),
            ),
            field(
                "radix-tree-nodes",
                Reply::Integer(stream.rax_node_count() as i64),
            ),
            field("last-generated-id", id_reply(stream.last_id)),
            field(
                "max-deleted-entry-id",
                id_reply(stream.max_deleted_entry_id),
            ),
            field("entries-added", Reply::Integer(stream.entries_added as i64)),
            field("recorded-first-entry-id", id_reply(stream.first_id)),
        ];
        let all = stream.range(StreamId::MIN, StreamId::MAX);
        if !full {
            let first = stream.range(StreamId::MIN, StreamId::MAX).next();
            let last = all.last();
            map.push(field("groups", Reply::Integer(stream.groups.len() as i64)));
            for (name, entry) in [("first-entry", first), ("last-entry", last)] {
                let value = entry.map_or(Reply::Null, |(id, fields)| entry_reply(*id, fields));
                map.push(field(name, value));
            }
            return Reply::Map(map);
        }
        let limit = if count == 0 {
            usize::MAX
        } else {
            count as usize
        };
        let entries = all
            .take(limit)
            .map(|(id, fields)| entry_reply(*id, fields))
            .collect();
        map.push(field("entries", Reply::Array(entries)));
        let groups = stream
            .groups
            .iter()
            .map(|(name, group)| full_group(stream, name, group, limit));
        map.push(field("groups", Reply::Array(groups.collect())));
        Reply::Map(map)
    })
}

fn full_group(stream: &Stream, name: &[u8], group: &ConsumerGroup, limit: usize) -> Reply {
    let pending = group
        .pel
        .iter()
        .take(limit)
        .map(|(id, entry)| {
            Reply::Array(vec![
                id_reply(*id),
                Reply::bulk(&entry.consumer),
                Reply::Integer(entry.delivery_time),
                Reply::Integer(entry.delivery_count as i64),
            ])
        })
        .collect();
    let consumers = group
        .consumers
        .iter()
        .map(|(consumer_name, consumer)| {
            let pending = consumer
                .pending
                .iter()
                .take(limit)
                .filter_map(|id| group.pel.get(id).map(|entry| (id, entry)))
                .map(|(id, entry)| {
                    Reply::Array(vec![
                        id_reply(*id),
                        Reply::Integer(entry.delivery_time),
                        Reply::Integer(entry.delivery_count as i64),
                    ])
                })
                .collect();
            Reply::Map(vec![
                field("name", Reply::bulk(consumer_name)),
                field("seen-time", Reply::Integer(consumer.seen_time)),
                field("pel-count", Reply::Integer(consumer.pending.len() as i64)),
                field("pending", Reply::Array(pending)),
            ])
        })
        .collect();
    Reply::Map(vec![
        field("name", Reply::bulk(name)),
        field("last-delivered-id", id_reply(group.last_id)),
        field("entries-read", entries_read_reply(group)),
        field("lag", lag_reply(stream, group)),
        field("pel-count", Reply::Integer(group.pel.len() as i64)),
        field("pending", Reply::Array(pending)),
        field("consumers", Reply::Array(consumers)),
    ])
}

/// XINFO GROUPS key: each group's name, consumer count, pending count,
/// last-delivered ID, read counter and lag (nil when unknown).
fn xinfo_groups(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    with_stream(ctx, args, |stream, _| {
        let groups = stream.groups.iter().map(|(name, group)| {
            Reply::Map(vec![
                field("name", Reply::bulk(name)),
                field("consumers", Reply::Integer(group.consumers.len() as i64)),
                field("pending", Reply::Integer(group.pel.len() as i64)),
                field("last-delivered-id", id_reply(group.last_id)),
                field("entries-read", entries_read_reply(group)),
                field("lag", lag_reply(stream, group)),
            ])
        });
        Reply::Array(groups.collect())
    })
}

/// XINFO CONSUMERS key group: each consumer's name, pending count and
/// idle time (ms since it last read or claimed).
fn xinfo_consumers(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    with_stream(ctx, args, |stream, now| {
        let Some(group) = stream.groups.get(args[3].as_slice()) else {
            return format_error(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                quoted(&args[3]),
                quoted(&args[2])
            ));
        };
        let consumers = group.consumers.iter().map(|(name, consumer)| {
            Reply::Map(vec![
                field("name", Reply::bulk(name)),
                field("pending", Reply::Integer(consumer.pending.len() as i64)),
                field("idle", Reply::Integer((now - consumer.seen_time).max(0))),
            ])
        });
        Reply::Array(consumers.collect())
    })
}
