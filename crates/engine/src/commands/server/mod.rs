//! Server commands: TIME, INFO, CONFIG, SLOWLOG, MONITOR, DEBUG, COMMAND, ROLE.

mod acl;
mod config;
mod debug;
mod info;
mod introspection;
mod movable_keys;

/// The key indexes of a resolved command's arguments, or `None` when
/// its numkeys does not fit (the command will fail on its own).
pub fn command_keys(spec: &CommandSpec, args: &[Vec<u8>]) -> Option<Vec<usize>> {
    match movable_keys::movable_keys(spec.name, args) {
        Some(Ok(keys)) => Some(keys),
        Some(Err(_)) => None,
        None => Some(spec.key_indices(args.len())),
    }
}

use crate::command::help_reply;
pub(crate) use crate::command::subcommand_syntax_error;
use crate::command::{flags, spec, CommandSpec, Ctx, NO_KEYS};
use crate::commands::connection::container;
use crate::numbers::parse_i64;
use crate::reply::Reply;

const ADMIN: u32 = flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE;
const CLUSTER_ADMIN: u32 = flags::ADMIN | flags::STALE;

/// CLUSTER on a node without cluster support, as Redis answers it.
fn cluster_disabled(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::error("ERR This instance has cluster support disabled")
}

pub const COMMANDS: &[CommandSpec] = &[
    spec(
        "time",
        1,
        flags::LOADING | flags::STALE | flags::FAST | flags::RANDOM,
        NO_KEYS,
        time,
    ),
    spec(
        "info",
        -1,
        flags::LOADING | flags::STALE | flags::RANDOM,
        NO_KEYS,
        info::info,
    ),
    spec("monitor", 1, ADMIN, NO_KEYS, monitor),
    spec(
        "role",
        1,
        flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST,
        NO_KEYS,
        role,
    ),
    spec("debug", -2, ADMIN | flags::PROTECTED, NO_KEYS, debug::debug),
    // No cluster mode: every subcommand says so, after the usual arity and
    // script checks (CLUSTER RESET is refused to scripts).
    spec("cluster", -2, 0, NO_KEYS, container).with_subcommands(&[
        spec("addslots", -3, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec(
            "addslotsrange",
            -4,
            CLUSTER_ADMIN,
            NO_KEYS,
            cluster_disabled,
        ),
        spec("bumpepoch", 2, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec(
            "count-failure-reports",
            3,
            CLUSTER_ADMIN,
            NO_KEYS,
            cluster_disabled,
        ),
        spec(
            "countkeysinslot",
            3,
            flags::STALE,
            NO_KEYS,
            cluster_disabled,
        ),
        spec("delslots", -3, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec(
            "delslotsrange",
            -4,
            CLUSTER_ADMIN,
            NO_KEYS,
            cluster_disabled,
        ),
        spec("failover", -2, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec("flushslots", 2, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec("forget", 3, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec("getkeysinslot", 4, flags::STALE, NO_KEYS, cluster_disabled),
        spec(
            "help",
            2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            cluster_disabled,
        ),
        spec("info", 2, flags::STALE, NO_KEYS, cluster_disabled),
        spec("keyslot", 3, flags::STALE, NO_KEYS, cluster_disabled),
        spec("links", 2, flags::STALE, NO_KEYS, cluster_disabled),
        spec("meet", -4, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec("myid", 2, flags::STALE, NO_KEYS, cluster_disabled),
        spec("nodes", 2, flags::STALE, NO_KEYS, cluster_disabled),
        spec("replicas", 3, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec("replicate", 3, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec(
            "reset",
            -2,
            CLUSTER_ADMIN | flags::NOSCRIPT,
            NO_KEYS,
            cluster_disabled,
        ),
        spec("saveconfig", 2, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec(
            "set-config-epoch",
            3,
            CLUSTER_ADMIN,
            NO_KEYS,
            cluster_disabled,
        ),
        spec("setslot", -4, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec("shards", 2, flags::STALE, NO_KEYS, cluster_disabled),
        spec("slaves", 3, CLUSTER_ADMIN, NO_KEYS, cluster_disabled),
        spec("slots", 2, flags::STALE, NO_KEYS, cluster_disabled),
    ]),
    spec("acl", -2, 0, NO_KEYS, container).with_subcommands(&[
        spec("setuser", -3, ADMIN, NO_KEYS, acl::setuser),
        spec("deluser", -3, ADMIN, NO_KEYS, acl::deluser),
        spec("users", 2, ADMIN, NO_KEYS, acl::users),
        spec(
            "whoami",
            2,
            flags::NOSCRIPT | flags::LOADING | flags::STALE,
            NO_KEYS,
            acl::whoami,
        ),
        spec(
            "cat",
            -2,
            flags::NOSCRIPT | flags::LOADING | flags::STALE,
            NO_KEYS,
            acl::cat,
        ),
        spec("help", 2, flags::LOADING | flags::STALE, NO_KEYS, acl::help),
    ]),
    spec("config", -2, 0, NO_KEYS, container).with_subcommands(&[
        spec("get", -3, ADMIN, NO_KEYS, config::get),
        spec("set", -4, ADMIN, NO_KEYS, config::set),
        spec("resetstat", 2, ADMIN, NO_KEYS, config::resetstat),
        spec("rewrite", 2, ADMIN, NO_KEYS, config::rewrite),
        spec(
            "help",
            2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            config::help,
        ),
    ]),
    spec("slowlog", -2, 0, NO_KEYS, container).with_subcommands(&[
        spec(
            "get",
            -2,
            flags::ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            slowlog_get,
        ),
        spec(
            "len",
            2,
            flags::ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            slowlog_len,
        ),
        spec(
            "reset",
            2,
            flags::ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            slowlog_reset,
        ),
        spec(
            "help",
            2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            slowlog_help,
        ),
    ]),
    spec(
        "command",
        -1,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        introspection::command_all,
    )
    .with_subcommands(&[
        spec(
            "count",
            2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            introspection::count,
        ),
        spec(
            "info",
            -2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            introspection::info,
        ),
        spec(
            "list",
            -2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            introspection::list,
        ),
        spec(
            "getkeys",
            -4,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            introspection::getkeys,
        ),
        spec(
            "help",
            2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            introspection::help,
        ),
    ]),
];

/// TIME: the node's clock as [seconds, microseconds]. The model's clock
/// has millisecond resolution between commands, so microseconds are whole
/// milliseconds there. Inside a script the clock moves on (Redis reads `gettimeofday`), so a
/// script waiting for TIME to advance ends; see `Scripting::clock_us`.
fn time(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let now_us = ctx
        .server
        .scripting
        .clock_us
        .unwrap_or(ctx.now_ms.saturating_mul(1000));
    let secs = now_us.div_euclid(1_000_000);
    let micros = now_us.rem_euclid(1_000_000);
    Reply::Array(vec![
        Reply::bulk(secs.to_string()),
        Reply::bulk(micros.to_string()),
    ])
}

/// ROLE: always a master with no replicas.
/// ROLE: `master` with its offset and (no) replicas, or `slave` with its
/// primary, the link's state and the offset it has processed.
fn role(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    match &ctx.server.primary {
        None => Reply::Array(vec![
            Reply::bulk("master"),
            Reply::Integer(0),
            Reply::Array(Vec::new()),
        ]),
        Some(primary) => Reply::Array(vec![
            Reply::bulk("slave"),
            Reply::bulk(&primary.host),
            Reply::Integer(i64::from(primary.port)),
            Reply::bulk(if primary.link_up {
                "connected"
            } else {
                "connect"
            }),
            Reply::Integer(if primary.link_up { 0 } else { -1 }),
        ]),
    }
}

/// MONITOR: from now on this connection receives a line for every command
/// any client runs (see `engine::feed_monitors`). A second MONITOR gets no
/// reply at all, as in Redis; inside EXEC it is refused.
fn monitor(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let me = ctx.me();
    if me.in_exec {
        return Reply::error("ERR MONITOR isn't allowed for DENY BLOCKING client");
    }
    if me.monitor {
        return Reply::Many(Vec::new());
    }
    me.monitor = true;
    Reply::ok()
}

/// SLOWLOG GET [count]: the newest `count` entries (10 by default, -1 for
/// all), each [id, unix time, microseconds, args, client addr, client name].
fn slowlog_get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return subcommand_syntax_error(args);
    }
    let mut count = 10usize;
    if let Some(arg) = args.get(2) {
        match parse_i64(arg) {
            Some(-1) => count = usize::MAX,
            Some(n) if n >= 0 => count = usize::try_from(n).unwrap_or(usize::MAX),
            _ => return Reply::error("ERR count should be greater than or equal to -1"),
        }
    }
    let entries = ctx
        .server
        .slowlog
        .entries()
        .take(count)
        .map(|e| {
            Reply::Array(vec![
                Reply::Integer(e.id as i64),
                Reply::Integer(e.time_s),
                Reply::Integer(i64::try_from(e.duration_us).unwrap_or(i64::MAX)),
                Reply::Array(e.args.iter().map(Reply::bulk).collect()),
                Reply::bulk(&e.addr),
                Reply::Bulk(e.name.clone()),
            ])
        })
        .collect();
    Reply::Array(entries)
}

fn slowlog_len(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.server.slowlog.len() as i64)
}

fn slowlog_reset(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    ctx.server.slowlog.reset();
    Reply::ok()
}

fn slowlog_help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "GET [<count>]",
            "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
            "    Entries are made of:",
            "    id, timestamp, time in microseconds, arguments array, client IP and port,",
            "    client name",
            "LEN",
            "    Return the length of the slowlog.",
            "RESET",
            "    Reset the slowlog.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::client::ClientId;
    use crate::encode::to_bytes;
    use crate::engine::Engine;
    use crate::reply::Reply;

    fn cli(e: &mut Engine, id: ClientId, now: i64, args: &[&str]) -> String {
        let args: Vec<Vec<u8>> = args.iter().map(|s| s.as_bytes().to_vec()).collect();
        let reply = e.execute(id, &args, now).reply;
        String::from_utf8_lossy(&to_bytes(&reply, e.protocol(id))).into_owned()
    }

    #[test]
    fn time_comes_from_the_node_clock() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(
            cli(&mut e, c, 1_700_000_000_123, &["TIME"]),
            "*2\r\n$10\r\n1700000000\r\n$6\r\n123000\r\n"
        );
    }

    #[test]
    fn slowlog_records_slow_commands_by_simulated_cost() {
        let mut e = Engine::new(0);
        e.config_mut()
            .set_startup("enable-debug-command", "yes")
            .unwrap_or_else(|err| panic!("{err}"));
        let c = e.connect("127.0.0.1:5000", 0);
        assert_eq!(
            cli(
                &mut e,
                c,
                0,
                &["CONFIG", "SET", "slowlog-log-slower-than", "1000"]
            ),
            "+OK\r\n"
        );
        assert_eq!(cli(&mut e, c, 0, &["SLOWLOG", "RESET"]), "+OK\r\n");
        cli(&mut e, c, 0, &["CLIENT", "SETNAME", "worker"]);
        // A 5 ms pause in simulated time: slow. PING is not.
        let out = e.execute(
            c,
            &[b"DEBUG".to_vec(), b"SLEEP".to_vec(), b"0.005".to_vec()],
            7_000,
        );
        assert_eq!(out.reply, Reply::ok());
        assert_eq!(out.cost_us, 5_001);
        cli(&mut e, c, 0, &["PING"]);
        assert_eq!(cli(&mut e, c, 0, &["SLOWLOG", "LEN"]), ":1\r\n");
        assert_eq!(
            cli(&mut e, c, 0, &["SLOWLOG", "GET"]),
            "*1\r\n*6\r\n:0\r\n:7\r\n:5001\r\n*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$5\r\n0.005\r\n$14\r\n127.0.0.1:5000\r\n$6\r\nworker\r\n"
        );
        assert_eq!(
            cli(&mut e, c, 0, &["SLOWLOG", "GET", "-2"]),
            "-ERR count should be greater than or equal to -1\r\n"
        );
    }

    #[test]
    fn slowlog_reset_logs_itself_at_threshold_zero() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:5000", 0);
        cli(
            &mut e,
            c,
            0,
            &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        );
        cli(&mut e, c, 0, &["SLOWLOG", "RESET"]);
        assert_eq!(cli(&mut e, c, 0, &["SLOWLOG", "LEN"]), ":1\r\n");
        assert_eq!(cli(&mut e, c, 0, &["SLOWLOG", "LEN"]), ":2\r\n");
    }

    #[test]
    fn debug_subcommands() {
        let mut e = Engine::new(0);
        e.config_mut()
            .set_startup("enable-debug-command", "yes")
            .unwrap_or_else(|err| panic!("{err}"));
        let c = e.connect("127.0.0.1:1", 0);
        assert!(cli(&mut e, c, 0, &["DEBUG", "HELP"]).starts_with(
            "*106\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+AOF-FLUSH-SLEEP"
        ));
        assert_eq!(
            cli(&mut e, c, 0, &["DEBUG", "ERROR", "hello world"]),
            "-hello world\r\n"
        );
        assert_eq!(
            cli(&mut e, c, 0, &["DEBUG", "SLEEP"]),
            "-ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.\r\n"
        );
        assert_eq!(
            cli(&mut e, c, 0, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]),
            "+OK\r\n"
        );
        assert_eq!(cli(&mut e, c, 0, &["SET", "k", "v", "PX", "10"]), "+OK\r\n");
        assert!(e.active_expire(1_000).is_empty());
    }

    #[test]
    fn debug_is_protected_by_default() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert!(cli(&mut e, c, 0, &["DEBUG", "SLEEP", "0"])
            .starts_with("-ERR DEBUG command not allowed."));
    }

    #[test]
    fn monitor_sees_other_clients_commands() {
        let mut e = Engine::new(0);
        let watcher = e.connect("127.0.0.1:1", 0);
        let worker = e.connect("127.0.0.1:2", 0);
        assert_eq!(cli(&mut e, watcher, 0, &["MONITOR"]), "+OK\r\n");
        cli(&mut e, worker, 1_700_000_000_250, &["ECHO", "a \"b\"\n"]);
        cli(&mut e, worker, 1_700_000_000_251, &["CONFIG", "GET", "hz"]);
        cli(&mut e, worker, 1_700_000_000_252, &["MULTI"]);
        cli(&mut e, worker, 1_700_000_000_252, &["PING"]);
        cli(&mut e, worker, 1_700_000_000_253, &["EXEC"]);
        let lines: Vec<Reply> = e.take_pushes(watcher);
        assert_eq!(
            lines,
            vec![
                Reply::Status(r#"1700000000.250000 [0 127.0.0.1:2] "ECHO" "a \"b\"\n""#.into()),
                // CONFIG is an admin command: not shown.
                Reply::Status(r#"1700000000.252000 [0 127.0.0.1:2] "MULTI""#.into()),
                Reply::Status(r#"1700000000.253000 [0 127.0.0.1:2] "PING""#.into()),
                Reply::Status(r#"1700000000.253000 [0 127.0.0.1:2] "EXEC""#.into()),
            ]
        );
        // Its own commands come back after their replies; a second MONITOR
        // gets no reply.
        assert_eq!(
            cli(&mut e, watcher, 1_700_000_001_000, &["PING"]),
            "+PONG\r\n+1700000001.000000 [0 127.0.0.1:1] \"PING\"\r\n"
        );
        assert_eq!(cli(&mut e, watcher, 0, &["MONITOR"]), "");
    }
}
