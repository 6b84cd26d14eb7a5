//! MEMORY USAGE | STATS | DOCTOR | PURGE | MALLOC-STATS | HELP.
//!
//! Sizes are the model's estimates of Redis 7.0's layouts
//! ([`crate::server::memory`]): they move with the data as Redis's do, but
//! are not a real server's byte counts.

use crate::command::{flags, spec, CommandSpec, Ctx, NO_KEYS};
use crate::commands::connection::{container, help_reply};
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::server::memory;

const STATS: u32 = flags::READONLY;

pub const COMMANDS: &[CommandSpec] =
    &[
        spec("memory", -2, 0, NO_KEYS, container).with_subcommands(&[
            spec("usage", -3, flags::READONLY, (2, 2, 1), usage),
            spec("stats", 2, STATS, NO_KEYS, stats),
            spec("doctor", 2, 0, NO_KEYS, doctor),
            spec("purge", 2, 0, NO_KEYS, purge),
            spec("malloc-stats", 2, 0, NO_KEYS, malloc_stats),
            spec("help", 2, flags::LOADING | flags::STALE, NO_KEYS, help),
        ]),
    ];

/// MEMORY USAGE key [SAMPLES count]: the options are checked before the
/// key is looked up, and a key whose TTL passed but is still stored is
/// measured, as Redis's `dictFind` does.
fn usage(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut i = 3;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"samples") && i + 1 < args.len() {
            match parse_i64(&args[i + 1]) {
                None => return Reply::not_integer(),
                Some(n) if n < 0 => return Reply::syntax_error(),
                Some(_) => {}
            }
            i += 2;
        } else {
            return Reply::syntax_error();
        }
    }
    match ctx.db.peek(&args[2]) {
        None => Reply::Null,
        Some(entry) => Reply::Integer(memory::key_usage(&args[2], entry) as i64),
    }
}

/// The whole node's estimate: start-up overhead, every database, cached
/// scripts.
pub fn used_memory(ctx: &mut Ctx) -> u64 {
    let mut total = memory::STARTUP_BYTES + memory::scripts_usage(&ctx.server.scripting.scripts);
    for index in 0..ctx.db_count() {
        if let Some(db) = ctx.db_at(index) {
            total += memory::database_usage(db);
        }
    }
    total
}

/// MEMORY STATS: the fields Redis reports, from the model's estimates.
fn stats(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let total = used_memory(ctx) as i64;
    let startup = memory::STARTUP_BYTES as i64;
    let scripts = memory::scripts_usage(&ctx.server.scripting.scripts) as i64;
    let mut keys = 0i64;
    let mut dbs = Vec::new();
    for index in 0..ctx.db_count() {
        if let Some(db) = ctx.db_at(index) {
            keys += db.len() as i64;
            if !db.is_empty() {
                let overhead = (db.len() * 24 + db.len().next_power_of_two() * 8) as i64;
                dbs.push((
                    Reply::bulk(format!("db.{index}")),
                    Reply::Map(vec![
                        (
                            Reply::bulk("overhead.hashtable.main"),
                            Reply::Integer(overhead),
                        ),
                        (Reply::bulk("overhead.hashtable.expires"), Reply::Integer(0)),
                    ]),
                ));
            }
        }
    }
    let dataset = (total - startup - scripts).max(0);
    let mut fields = vec![
        ("peak.allocated", Reply::Integer(total)),
        ("total.allocated", Reply::Integer(total)),
        ("startup.allocated", Reply::Integer(startup)),
        ("replication.backlog", Reply::Integer(0)),
        ("clients.slaves", Reply::Integer(0)),
        ("clients.normal", Reply::Integer(0)),
        ("cluster.links", Reply::Integer(0)),
        ("aof.buffer", Reply::Integer(0)),
        ("lua.caches", Reply::Integer(scripts)),
        ("functions.caches", Reply::Integer(0)),
        ("overhead.total", Reply::Integer(startup + scripts)),
        ("keys.count", Reply::Integer(keys)),
        (
            "keys.bytes-per-key",
            Reply::Integer(if keys > 0 { dataset / keys } else { 0 }),
        ),
        ("dataset.bytes", Reply::Integer(dataset)),
    ];
    let mut map: Vec<(Reply, Reply)> = fields
        .drain(..)
        .map(|(name, value)| (Reply::bulk(name), value))
        .collect();
    map.extend(dbs);
    Reply::Map(map)
}

fn doctor(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Verbatim("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.".into())
}

/// MEMORY PURGE: there is no allocator to purge.
fn purge(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::ok()
}

/// MEMORY MALLOC-STATS: what Redis answers when built without jemalloc.
fn malloc_stats(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Verbatim("Stats not supported for the current allocator".into())
}

fn help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "DOCTOR",
            "    Return memory problems reports.",
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "STATS",
            "    Return information about the memory usage of the server.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::Session;

    fn integer(reply: &str) -> i64 {
        reply
            .trim_start_matches(':')
            .trim_end()
            .parse()
            .unwrap_or(-1)
    }

    #[test]
    fn usage_grows_with_the_value() {
        let mut s = Session::new();
        s.run("SET k v");
        let small = integer(&s.run("MEMORY USAGE k"));
        s.run("APPEND k xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        let big = integer(&s.run("MEMORY USAGE k"));
        assert!(small > 0 && big > small + 60, "{small} {big}");
        assert_eq!(s.run("MEMORY USAGE nokey"), "$-1\r\n");
        assert_eq!(s.run("MEMORY USAGE k SAMPLES -1"), "-ERR syntax error\r\n");
        assert_eq!(s.run("MEMORY USAGE k SAMPLES"), "-ERR syntax error\r\n");
        assert_eq!(s.run("MEMORY USAGE k SAMPLES 0"), format!(":{big}\r\n"));
    }

    #[test]
    fn used_memory_follows_the_dataset() {
        let mut s = Session::new();
        let used = |s: &mut Session| -> u64 {
            let info = s.run("INFO memory");
            info.lines()
                .find_map(|l| l.strip_prefix("used_memory:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        };
        let empty = used(&mut s);
        assert!(empty > 0);
        s.run("RPUSH l aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        let full = used(&mut s);
        assert!(full > empty, "{empty} {full}");
        s.run("FLUSHALL");
        assert_eq!(used(&mut s), empty);
    }
}
