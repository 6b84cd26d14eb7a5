//! Node administration a lone node can answer: REPLICAOF/SLAVEOF, WAIT,
//! SWAPDB, SAVE/BGSAVE/LASTSAVE, BGREWRITEAOF and LATENCY.
//!
//! The model has no disk, no replication link and no latency monitor:
//! SAVE and BGSAVE record when they ran (LASTSAVE reads it); REPLICAOF
//! makes the node a replica whose primary is never reached (writes get
//! READONLY, ROLE says `connect`); WAIT answers at once with the replicas
//! that acknowledged — none on a lone node — where Redis would block until
//! its timeout; LATENCY has no samples (as with Redis's default
//! `latency-monitor-threshold 0`).

use crate::command::{flags, spec, CommandSpec, Ctx, NO_KEYS};
use crate::commands::connection::{container, help_reply};
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::server::replication::{Primary, WAIT_ON_REPLICA};

const ADMIN: u32 = flags::ADMIN | flags::NOSCRIPT;

pub const COMMANDS: &[CommandSpec] = &[
    spec("replicaof", 3, ADMIN | flags::STALE, NO_KEYS, replicaof),
    spec("slaveof", 3, ADMIN | flags::STALE, NO_KEYS, replicaof),
    spec("wait", 3, flags::NOSCRIPT, NO_KEYS, wait),
    spec("swapdb", 3, flags::WRITE | flags::FAST, NO_KEYS, swapdb),
    spec("save", 1, ADMIN | flags::NO_MULTI, NO_KEYS, save),
    spec(
        "shutdown",
        -1,
        ADMIN | flags::NO_MULTI | flags::LOADING | flags::STALE | flags::ALLOW_BUSY,
        NO_KEYS,
        shutdown,
    ),
    spec("bgsave", -1, ADMIN, NO_KEYS, bgsave),
    spec(
        "bgrewriteaof",
        1,
        ADMIN | flags::NO_MULTI,
        NO_KEYS,
        bgrewriteaof,
    ),
    spec(
        "lastsave",
        1,
        flags::LOADING | flags::STALE | flags::FAST | flags::RANDOM,
        NO_KEYS,
        lastsave,
    ),
    spec("latency", -2, 0, NO_KEYS, container).with_subcommands(&[
        spec(
            "latest",
            2,
            ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            latency_latest,
        ),
        spec(
            "history",
            3,
            ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            latency_history,
        ),
        spec(
            "graph",
            3,
            ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            latency_graph,
        ),
        spec(
            "doctor",
            2,
            ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            latency_doctor,
        ),
        spec(
            "reset",
            -2,
            ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            latency_reset,
        ),
        spec(
            "histogram",
            -2,
            ADMIN | flags::LOADING | flags::STALE,
            NO_KEYS,
            latency_histogram,
        ),
        spec(
            "help",
            2,
            flags::LOADING | flags::STALE,
            NO_KEYS,
            latency_help,
        ),
    ]),
];

/// REPLICAOF host port | NO ONE.
fn replicaof(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args[1].eq_ignore_ascii_case(b"no") && args[2].eq_ignore_ascii_case(b"one") {
        ctx.server.primary = None;
        return Reply::ok();
    }
    let Some(port) = parse_i64(&args[2]).and_then(|p| u16::try_from(p).ok()) else {
        return Reply::error("ERR Invalid master port");
    };
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    if ctx
        .server
        .primary
        .as_ref()
        .is_some_and(|p| p.host == host && p.port == port)
    {
        return Reply::Status("OK Already connected to specified master".into());
    }
    ctx.server.primary = Some(Primary {
        host,
        port,
        link_up: false,
    });
    Reply::ok()
}

/// WAIT numreplicas timeout: refused on a replica; otherwise the number of
/// replicas that acknowledged this connection's writes, which for the
/// engine alone is 0 (the simulator answers WAIT itself with its replicas).
fn wait(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if ctx.server.primary.is_some() {
        return Reply::error(WAIT_ON_REPLICA);
    }
    if parse_i64(&args[1]).is_none() {
        return Reply::not_integer();
    }
    match parse_i64(&args[2]) {
        None => Reply::error("ERR timeout is not an integer or out of range"),
        Some(t) if t < 0 => Reply::error("ERR timeout is negative"),
        Some(_) => Reply::Integer(0),
    }
}

/// SWAPDB index1 index2: the two databases exchange their data; clients
/// watching keys in either see them changed.
fn swapdb(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let index = |arg: &[u8], which: &str| -> Result<i64, Reply> {
        parse_i64(arg)
            .filter(|n| i32::try_from(*n).is_ok())
            .ok_or_else(|| Reply::error(format!("ERR invalid {which} DB index")))
    };
    let first = match index(&args[1], "first") {
        Ok(n) => n,
        Err(e) => return e,
    };
    let second = match index(&args[2], "second") {
        Ok(n) => n,
        Err(e) => return e,
    };
    let count = ctx.db_count() as i64;
    if !(0..count).contains(&first) || !(0..count).contains(&second) {
        return Reply::error("ERR DB index is out of range");
    }
    let (first, second) = (first as usize, second as usize);
    if first == second {
        return Reply::ok();
    }
    let a = ctx
        .db_at(first)
        .map(|db| db.data_only())
        .unwrap_or_default();
    let b = ctx
        .db_at(second)
        .map(|db| db.data_only())
        .unwrap_or_default();
    ctx.charge(a.len() + b.len());
    let now = ctx.now_ms;
    if let Some(db) = ctx.db_at(first) {
        db.swap_in(&b, now);
    }
    if let Some(db) = ctx.db_at(second) {
        db.swap_in(&a, now);
    }
    Reply::ok()
}

/// SAVE: there is no disk; the save is recorded for LASTSAVE.
fn save(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    ctx.server.last_save_ms = ctx.now_ms;
    Reply::ok()
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], parsed as Redis 7.0's
/// `shutdownCommand` does. Accepted, it asks the host to end
/// ([`crate::Engine::take_shutdown`]); the model keeps nothing on disk, so
/// SAVE and NOSAVE end the same way. The reply only reaches a client whose
/// host cannot end (the page): Redis's answer when a shutdown fails.
fn shutdown(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let (mut save, mut nosave, mut abort) = (false, false, false);
    for arg in &args[1..] {
        match arg.to_ascii_lowercase().as_slice() {
            b"save" => save = true,
            b"nosave" => nosave = true,
            b"abort" => abort = true,
            b"now" | b"force" => {}
            _ => return Reply::syntax_error(),
        }
    }
    if (save && nosave) || (abort && args.len() > 2) {
        return Reply::syntax_error();
    }
    if abort {
        return Reply::error("ERR No shutdown in progress.");
    }
    ctx.server.shutdown_asked = true;
    Reply::error("ERR Errors trying to SHUTDOWN. Check logs.")
}

/// BGSAVE [SCHEDULE]: a background save that finishes at once.
fn bgsave(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match args.len() {
        1 => {}
        2 if args[1].eq_ignore_ascii_case(b"schedule") => {}
        _ => return Reply::syntax_error(),
    }
    ctx.server.last_save_ms = ctx.now_ms;
    Reply::Status("Background saving started".into())
}

/// BGREWRITEAOF: there is no AOF file to rewrite; Redis starts the rewrite
/// even with `appendonly no` and says so.
fn bgrewriteaof(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Status("Background append only file rewriting started".into())
}

/// LASTSAVE: when the data was last saved, in Unix seconds.
fn lastsave(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.server.last_save_ms.div_euclid(1000))
}

fn latency_latest(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Array(Vec::new())
}

fn latency_history(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Array(Vec::new())
}

fn latency_graph(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Reply::error(format!(
        "ERR No samples available for event '{}'",
        String::from_utf8_lossy(&args[2])
    ))
}

fn latency_doctor(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Verbatim("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n".into())
}

fn latency_reset(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Integer(0)
}

/// LATENCY HISTOGRAM [command ...]: no command has samples.
fn latency_histogram(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Map(Vec::new())
}

fn latency_help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::{session, Session};
    use crate::server::replication::Primary;

    #[test]
    fn shutdown_asks_the_host_unless_refused() {
        let mut s = Session::new();
        session!(s,
            "SHUTDOWN SAVE NOSAVE" => "-ERR syntax error\r\n",
            "SHUTDOWN SOON" => "-ERR syntax error\r\n",
            "SHUTDOWN ABORT" => "-ERR No shutdown in progress.\r\n",
            "MULTI" => "+OK\r\n",
            "SHUTDOWN NOSAVE" => "-ERR Command not allowed inside a transaction\r\n",
            "EXEC" => "-EXECABORT Transaction discarded because of previous errors.\r\n",
        );
        assert!(!s.engine.take_shutdown());
        session!(s, "SHUTDOWN NOSAVE NOW" => "-ERR Errors trying to SHUTDOWN. Check logs.\r\n");
        assert!(s.engine.take_shutdown());
        assert!(!s.engine.take_shutdown());
    }

    #[test]
    fn a_replica_refuses_writes_even_in_scripts() {
        let mut s = Session::new();
        s.run("SET k v");
        s.engine.set_replica_of(Some(Primary {
            host: "primary".into(),
            port: 6379,
            link_up: true,
        }));
        let readonly = "-READONLY You can't write against a read only replica.\r\n";
        session!(s,
            "SET k w" => readonly,
            "GET k" => "$1\r\nv\r\n",
            "ROLE" => "*5\r\n$5\r\nslave\r\n$7\r\nprimary\r\n:6379\r\n$9\r\nconnected\r\n:0\r\n",
            "WAIT 1 0" => "-ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.\r\n",
        );
        let eval = |s: &mut Session, body: &str| {
            let args: Vec<Vec<u8>> =
                vec![b"EVAL".to_vec(), body.as_bytes().to_vec(), b"0".to_vec()];
            s.engine.execute(s.client, &args, 0).reply
        };
        let in_script = eval(&mut s, "return redis.call('set','k','x')");
        assert!(
            matches!(&in_script, crate::Reply::Error(e) if e.starts_with("READONLY You can't write against a read only replica.")),
            "{in_script:?}"
        );
        // A script declaring it may write is refused before it runs.
        assert_eq!(
            eval(&mut s, "#!lua\nreturn 1"),
            crate::Reply::error("READONLY You can't write against a read only replica.")
        );
        assert_eq!(
            eval(
                &mut s,
                "#!lua flags=no-writes\nreturn redis.call('get','k')"
            ),
            crate::Reply::bulk("v")
        );
        assert!(s.run("INFO replication").contains(
            "role:slave\r\nmaster_host:primary\r\nmaster_port:6379\r\nmaster_link_status:up"
        ));
        session!(s, "CONFIG SET replica-read-only no" => "+OK\r\n", "SET k w" => "+OK\r\n");
        s.engine.set_replica_of(None);
        session!(s, "ROLE" => "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n", "WAIT 0 0" => ":0\r\n");
    }

    #[test]
    fn swapdb_in_an_expired_key_is_no_change_to_a_watcher() {
        // Redis's multi unit: a watched key that did not exist, or had
        // already expired, replaced by an expired key, is logically absent
        // before and after, so EXEC runs; a live key brought in dirties.
        let mut s = Session::new();
        // The session runs no active expiry: the key stays, expired.
        session!(s, "SET x foo PX 1" => "+OK\r\n");
        s.now_ms += 5;
        session!(s,
            "SELECT 1" => "+OK\r\n",
            "WATCH x" => "+OK\r\n",
            "SWAPDB 0 1" => "+OK\r\n",
            "MULTI" => "+OK\r\n",
            "PING" => "+QUEUED\r\n",
            "EXEC" => "*1\r\n+PONG\r\n",
            "SELECT 0" => "+OK\r\n",
            "SET x live" => "+OK\r\n",
            "SELECT 1" => "+OK\r\n",
            "WATCH x" => "+OK\r\n",
            "SWAPDB 0 1" => "+OK\r\n",
            "MULTI" => "+OK\r\n",
            "PING" => "+QUEUED\r\n",
            "EXEC" => "*-1\r\n",
        );
    }

    #[test]
    fn swapdb_exchanges_data() {
        let mut s = Session::new();
        session!(s,
            "SET a 0" => "+OK\r\n",
            "SELECT 1" => "+OK\r\n",
            "SET b 1" => "+OK\r\n",
            "SWAPDB 0 1" => "+OK\r\n",
            "GET a" => "$1\r\n0\r\n",
            "SELECT 0" => "+OK\r\n",
            "GET b" => "$1\r\n1\r\n",
            "SWAPDB 0 16" => "-ERR DB index is out of range\r\n",
            "SWAPDB x 1" => "-ERR invalid first DB index\r\n",
            "SWAPDB 1 x" => "-ERR invalid second DB index\r\n",
        );
    }
}
