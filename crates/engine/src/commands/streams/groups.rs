//! Consumer groups: XGROUP CREATE/SETID/DESTROY/CREATECONSUMER/DELCONSUMER
//! and XACK.

use super::id::{parse_id, parse_strict_id};
use super::{
    c_str, format_error, keyword, parse_integer, quoted, stream_mut, Ctx, Reply, Stream, StreamId,
};
use crate::command::{flags, spec, CommandSpec, NO_KEYS};
use crate::command::{help_reply, subcommand_syntax_error};
use crate::types::stream::{ConsumerGroup, INVALID_ENTRIES_READ};
use crate::value::Value;

pub const XGROUP_SUBCOMMANDS: &[CommandSpec] = &[
    spec(
        "create",
        -5,
        flags::WRITE | flags::DENYOOM,
        (2, 2, 1),
        xgroup,
    ),
    spec("setid", -5, flags::WRITE, (2, 2, 1), xgroup),
    spec("destroy", 4, flags::WRITE, (2, 2, 1), xgroup),
    spec(
        "createconsumer",
        5,
        flags::WRITE | flags::DENYOOM,
        (2, 2, 1),
        xgroup,
    ),
    spec("delconsumer", 5, flags::WRITE, (2, 2, 1), xgroup),
    spec(
        "help",
        2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        xgroup_help,
    ),
];

const XGROUP_HELP: &[&str] = &[
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
];

/// XGROUP HELP.
pub fn xgroup_help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(&args[0], XGROUP_HELP)
}

/// XGROUP CREATE key group <id|$> [MKSTREAM] [ENTRIESREAD n]: a group
/// whose last-delivered ID is `id` (`$`: the stream's last ID, so only new
/// entries). The key must exist unless MKSTREAM; `BUSYGROUP` if the group
/// exists.
///
/// XGROUP SETID key group <id|$> [ENTRIESREAD n]: moves the group's
/// last-delivered ID (and forgets its read counter unless given).
///
/// XGROUP DESTROY key group: 1 if the group existed.
///
/// XGROUP CREATECONSUMER key group consumer: 1 if it was created.
///
/// XGROUP DELCONSUMER key group consumer: drops the consumer and its
/// pending entries; returns how many it had.
///
/// Arguments are checked in Redis's order: options, then the key's type
/// and existence, then the group, then the subcommand's own arguments.
fn xgroup(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let sub = String::from_utf8_lossy(c_str(&args[1])).to_ascii_lowercase();
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < args.len() {
        let create = sub == "create";
        if create && keyword(&args[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || sub == "setid")
            && keyword(&args[i], "entriesread")
            && i + 1 < args.len()
        {
            match parse_integer(&args[i + 1]) {
                Err(reply) => return reply,
                Ok(n) if n < 0 && n != INVALID_ENTRIES_READ => {
                    return Reply::error("ERR value for ENTRIESREAD must be positive or -1")
                }
                Ok(n) => entries_read = n,
            }
            i += 2;
        } else {
            return subcommand_syntax_error(args);
        }
    }
    let (key, group) = (&args[2], &args[3]);
    let exists = match stream_mut(ctx, key) {
        Err(reply) => return reply,
        Ok(stream) => stream.map(|s| s.groups.contains_key(group.as_slice())),
    };
    if !mkstream {
        match exists {
            None => {
                return Reply::error(
                    "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
                )
            }
            Some(false) if matches!(sub.as_str(), "setid" | "createconsumer" | "delconsumer") => {
                return format_error(format!(
                    "NOGROUP No such consumer group '{}' for key name '{}'",
                    quoted(group),
                    quoted(key)
                ));
            }
            _ => {}
        }
    }
    match (sub.as_str(), args.len()) {
        ("create", 5..=8) => create(ctx, args, entries_read),
        ("setid", 5 | 7) => setid(ctx, args, entries_read),
        ("destroy", 4) => {
            let reply = with_stream(ctx, key, |stream, _| {
                Reply::Integer(i64::from(stream.groups.remove(group.as_slice()).is_some()))
            });
            if reply == Reply::Integer(1) {
                // Readers blocked in the group wake up with NOGROUP.
                ctx.db.signal_ready(key);
            }
            reply
        }
        ("createconsumer", 5) => {
            let reply = with_stream(ctx, key, |stream, now| {
                let created = stream
                    .groups
                    .get_mut(group.as_slice())
                    .is_some_and(|g| g.create_consumer(&args[4], now));
                Reply::Integer(i64::from(created))
            });
            if reply == Reply::Integer(1) {
                crate::notify::consumer_created(ctx, key);
            }
            reply
        }
        ("delconsumer", 5) => {
            let mut deleted = false;
            let reply = with_stream(ctx, key, |stream, _| {
                let pending = stream
                    .groups
                    .get_mut(group.as_slice())
                    .and_then(|g| g.delete_consumer(&args[4]));
                deleted = pending.is_some();
                Reply::Integer(pending.unwrap_or(0) as i64)
            });
            if deleted {
                crate::notify::stream_event(ctx, key, "xgroup-delconsumer");
            }
            reply
        }
        _ => subcommand_syntax_error(args),
    }
}

fn with_stream(ctx: &mut Ctx, key: &[u8], f: impl FnOnce(&mut Stream, i64) -> Reply) -> Reply {
    let now = ctx.now_ms;
    match stream_mut(ctx, key) {
        Ok(Some(stream)) => f(stream, now),
        Ok(None) => Reply::error("ERR no such key"),
        Err(reply) => reply,
    }
}

fn create(ctx: &mut Ctx, args: &[Vec<u8>], entries_read: i64) -> Reply {
    let (key, group) = (&args[2], &args[3]);
    let existing_last = match stream_mut(ctx, key) {
        Ok(stream) => stream.map(|s| s.last_id),
        Err(reply) => return reply,
    };
    let id = if c_str(&args[4]) == b"$" {
        existing_last.unwrap_or(StreamId::MIN)
    } else {
        match parse_strict_id(&args[4], 0) {
            Ok(id) => id,
            Err(reply) => return reply,
        }
    };
    if existing_last.is_none() {
        // MKSTREAM: the command can no longer fail.
        ctx.db.set(key, Value::Stream(Stream::new()), false);
    }
    with_stream(ctx, key, |stream, _| {
        if stream.groups.contains_key(group.as_slice()) {
            return Reply::error("BUSYGROUP Consumer Group name already exists");
        }
        stream
            .groups
            .insert(group.clone(), ConsumerGroup::new(id, entries_read));
        Reply::ok()
    })
}

fn setid(ctx: &mut Ctx, args: &[Vec<u8>], entries_read: i64) -> Reply {
    let group = &args[3];
    with_stream(ctx, &args[2], |stream, _| {
        let id = if c_str(&args[4]) == b"$" {
            stream.last_id
        } else {
            match parse_id(&args[4], 0) {
                Ok(id) => id,
                Err(reply) => return reply,
            }
        };
        if let Some(g) = stream.groups.get_mut(group.as_slice()) {
            g.last_id = id;
            g.entries_read = entries_read;
        }
        Reply::ok()
    })
}

/// XACK key group id [id ...]: removes the IDs from the group's pending
/// entries list; returns how many were pending. A missing key or group
/// answers 0 before the IDs are checked.
pub fn xack(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let group = &args[2];
    let stream = match stream_mut(ctx, &args[1]) {
        Err(reply) => return reply,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(stream)) => stream,
    };
    let Some(g) = stream.groups.get_mut(group.as_slice()) else {
        return Reply::Integer(0);
    };
    let mut ids = Vec::with_capacity(args.len() - 3);
    for arg in &args[3..] {
        match parse_strict_id(arg, 0) {
            Ok(id) => ids.push(id),
            Err(reply) => return reply,
        }
    }
    let acknowledged = ids
        .into_iter()
        .filter(|id| g.remove_pending(*id).is_some())
        .count();
    ctx.charge(args.len() - 3);
    Reply::Integer(acknowledged as i64)
}
