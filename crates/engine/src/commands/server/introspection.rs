//! COMMAND [COUNT | INFO | LIST | GETKEYS | HELP]: the command table as
//! clients see it.
//!
//! Entries have Redis 7.0's ten-field shape (name, arity, flags, first
//! key, last key, step, ACL categories, tips, key specs, subcommands), built
//! from the model's own table. Categories are derived from the flags only
//! (Redis adds a per-group one, such as `@string`) and key specs are left
//! empty, so entries are close to, not identical with, the real server's.
//! COMMAND DOCS is not provided: `redis-cli` then falls back to its built-in
//! help, which is what it does with servers older than 7.0.

use crate::command::help_reply;
use crate::command::{flags, CommandSpec, Ctx};
use crate::commands;
use crate::engine;
use crate::reply::Reply;

use crate::server::config::glob_match as config_glob;

/// COMMAND: every command's entry.
pub(super) fn command_all(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Array(commands::all().map(|spec| entry(spec, None)).collect())
}

/// COMMAND COUNT: the number of top-level commands.
pub(super) fn count(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Integer(commands::all().count() as i64)
}

/// COMMAND INFO [name ...]: entries for the named commands (`config|get`
/// names a subcommand), null for unknown ones; all of them with no name.
pub(super) fn info(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() == 2 {
        return Reply::Array(commands::all().map(|spec| entry(spec, None)).collect());
    }
    Reply::Array(
        args[2..]
            .iter()
            .map(|name| match find(name) {
                Some((spec, parent)) => entry(spec, parent),
                None => Reply::Null,
            })
            .collect(),
    )
}

/// COMMAND LIST [FILTERBY PATTERN pattern]: every command and subcommand
/// name (`config|get`).
pub(super) fn list(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let pattern = match args.len() {
        2 => None,
        5 if args[2].eq_ignore_ascii_case(b"filterby") => {
            if args[3].eq_ignore_ascii_case(b"pattern") {
                Some(args[4].clone())
            } else if args[3].eq_ignore_ascii_case(b"module")
                || args[3].eq_ignore_ascii_case(b"aclcat")
            {
                return Reply::Array(Vec::new());
            } else {
                return Reply::syntax_error();
            }
        }
        _ => return Reply::syntax_error(),
    };
    let mut names = Vec::new();
    for spec in commands::all() {
        names.push(spec.name.to_string());
        for sub in spec.subcommands {
            names.push(format!("{}|{}", spec.name, sub.name));
        }
    }
    Reply::Array(
        names
            .into_iter()
            .filter(|n| {
                pattern
                    .as_ref()
                    .is_none_or(|p| config_glob(p, n.as_bytes()))
            })
            .map(Reply::bulk)
            .collect(),
    )
}

/// COMMAND GETKEYS command [arg ...]: the key arguments of a full command.
pub(super) fn getkeys(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let call = &args[2..];
    let spec = match engine::resolve(call) {
        Ok(spec) => spec,
        Err(_) if commands::lookup(&call[0]).is_none() => {
            return Reply::error("ERR Invalid command specified")
        }
        Err(Reply::Error(ref e)) if e.starts_with("ERR unknown subcommand") => {
            return Reply::error("ERR Invalid command specified")
        }
        Err(_) => return Reply::error("ERR Invalid number of arguments specified for command"),
    };
    let keys = spec.key_indices(call.len());
    if keys.is_empty() {
        return Reply::error("ERR The command has no key arguments");
    }
    Reply::Array(keys.into_iter().map(|i| Reply::bulk(&call[i])).collect())
}

pub(super) fn help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
        ],
    )
}

/// A command by name, or a subcommand as `parent|sub`.
fn find(name: &[u8]) -> Option<(&'static CommandSpec, Option<&'static str>)> {
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    match lower.split_once('|') {
        None => commands::lookup(lower.as_bytes()).map(|s| (s, None)),
        Some((parent, sub)) => {
            let p = commands::lookup(parent.as_bytes())?;
            p.subcommands
                .iter()
                .find(|s| s.name == sub)
                .map(|s| (s, Some(p.name)))
        }
    }
}

/// Flag names in the order `COMMAND INFO` prints them.
const FLAG_NAMES: &[(u32, &str)] = &[
    (flags::WRITE, "write"),
    (flags::READONLY, "readonly"),
    (flags::DENYOOM, "denyoom"),
    (flags::ADMIN, "admin"),
    (flags::PUBSUB, "pubsub"),
    (flags::NOSCRIPT, "noscript"),
    (flags::BLOCKING, "blocking"),
    (flags::LOADING, "loading"),
    (flags::STALE, "stale"),
    (flags::SKIP_MONITOR, "skip_monitor"),
    (flags::SKIP_SLOWLOG, "skip_slowlog"),
    (flags::FAST, "fast"),
    (flags::NO_AUTH, "no_auth"),
    (flags::MAY_REPLICATE, "may_replicate"),
    (flags::NO_MULTI, "no_multi"),
    (flags::ALLOW_BUSY, "allow_busy"),
];

fn entry(spec: &CommandSpec, parent: Option<&str>) -> Reply {
    let name = match parent {
        Some(p) => format!("{p}|{}", spec.name),
        None => spec.name.to_string(),
    };
    // The model marks PING, QUIT and RESET `pubsub` to let them run in the
    // RESP2 subscribed context; Redis lists no such flag for them.
    let context_only = matches!(spec.name, "ping" | "quit" | "reset");
    let flag_names = FLAG_NAMES
        .iter()
        .filter(|(f, n)| spec.has(*f) && !(context_only && *n == "pubsub"))
        .map(|(_, n)| Reply::Status((*n).to_string()))
        .collect();
    let mut categories = Vec::new();
    let mut category = |c: &str| categories.push(Reply::Status(c.to_string()));
    if spec.has(flags::WRITE) {
        category("@write");
    }
    if spec.has(flags::READONLY) {
        category("@read");
    }
    if spec.has(flags::ADMIN) {
        category("@admin");
        category("@dangerous");
    }
    if spec.has(flags::PUBSUB) && !context_only {
        category("@pubsub");
    }
    if spec.has(flags::FAST) {
        category("@fast");
    }
    if spec.has(flags::BLOCKING) {
        category("@blocking");
    }
    if !spec.has(flags::FAST) {
        category("@slow");
    }
    let mut tips = Vec::new();
    if spec.has(flags::RANDOM) {
        tips.push(Reply::bulk("nondeterministic_output"));
    }
    let (first, last, step) = spec.keys;
    Reply::Array(vec![
        Reply::bulk(name),
        Reply::Integer(i64::from(spec.arity)),
        Reply::Set(flag_names),
        Reply::Integer(i64::from(first)),
        Reply::Integer(i64::from(last)),
        Reply::Integer(i64::from(step)),
        Reply::Set(categories),
        Reply::Set(tips),
        Reply::Array(Vec::new()),
        Reply::Array(
            spec.subcommands
                .iter()
                .map(|s| entry(s, Some(spec.name)))
                .collect(),
        ),
    ])
}
