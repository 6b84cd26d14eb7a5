//! DEBUG: the few subcommands that make sense in a model.
//!
//! DEBUG is a protected command: refused unless `enable-debug-command` is
//! `yes` (or `local` for a loopback client), as in Redis 7. A simulator
//! that wants DEBUG SLEEP turns it on at start-up
//! (`Engine::config_mut().set_startup("enable-debug-command", "yes")`).

use crate::command::help_reply;
use crate::command::Ctx;
use crate::reply::Reply;

use crate::command::subcommand_syntax_error;

/// DEBUG SLEEP seconds | SET-ACTIVE-EXPIRE 0|1 | ERROR message | HELP.
pub(super) fn debug(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let sub = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
    match (sub.as_str(), args.len()) {
        ("help", 2) => help_reply(&args[0], HELP),
        ("sleep", 3) => {
            ctx.cost_ns += sleep_micros(&args[2]) * 1000;
            Reply::ok()
        }
        ("set-active-expire", 3) => {
            ctx.server.active_expire_enabled = atoi(&args[2]) != 0;
            Reply::ok()
        }
        ("reload", _) => reload(ctx, &args[2..]),
        // Nor an AOF: loading it back leaves the same data.
        ("loadaof", 2) => Reply::ok(),
        // Timers, reply buffers and script deny flags of the real server
        // have no counterpart in the model; accepting them lets the
        // callers that set them up go on.
        ("pause-cron", 3) | ("replybuffer", 3) => Reply::ok(),
        // Lets scripts call commands flagged `noscript` (DEBUG itself,
        // which Redis's tests use to get every RESP3 type into a script).
        ("set-disable-deny-scripts", 3) => {
            ctx.server.scripts_call_noscript = atoi(&args[2]) != 0;
            Reply::ok()
        }
        ("protocol", 3) => protocol(ctx, &args[2]),
        ("populate", 3..=5) => populate(ctx, args),
        // Quicklist node sizing does not exist in the model.
        ("quicklist-packed-threshold", 3) => Reply::ok(),
        ("change-repl-id", 2) => Reply::ok(),
        ("object", 3) => object(ctx, &args[2]),
        ("digest", 2) => Reply::Status(digest(ctx)),
        ("digest-value", _) => {
            let now = ctx.now_ms;
            let digests = args[2..]
                .iter()
                .map(|key| {
                    let text = ctx
                        .db
                        .get(key, now)
                        .map_or_else(String::new, |e| format!("{:?}", e.value));
                    Reply::Status(hex_digest(text.as_bytes()))
                })
                .collect();
            Reply::Array(digests)
        }
        ("error", 3) => {
            let text = String::from_utf8_lossy(&args[2]).replace(['\r', '\n'], " ");
            Reply::Error(text)
        }
        _ => subcommand_syntax_error(args),
    }
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, flush, load back. The
/// model has no RDB: the data after a reload is the data before, which is
/// what callers check. Loading without flushing first, and without MERGE,
/// meets everything already there: Redis refuses a function library that
/// exists (and dies on a key that does); here either is the load error.
fn reload(ctx: &mut Ctx, options: &[Vec<u8>]) -> Reply {
    let (mut merge, mut flush) = (false, true);
    for option in options {
        match String::from_utf8_lossy(option)
            .to_ascii_lowercase()
            .as_str()
        {
            "merge" => merge = true,
            "noflush" => flush = false,
            "nosave" => {}
            _ => {
                return Reply::error(
                    "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
                )
            }
        }
    }
    let has_data = !ctx.server.scripting.libraries.libraries.is_empty()
        || (0..ctx.db_count()).any(|i| ctx.db_at(i).is_some_and(|db| !db.is_empty()));
    if !flush && !merge && has_data {
        return Reply::error("ERR Error trying to load the RDB dump");
    }
    Reply::ok()
}

/// DEBUG PROTOCOL type: one reply of each RESP3 type, as Redis's test
/// suite uses to check clients.
fn protocol(ctx: &mut Ctx, name: &[u8]) -> Reply {
    let name = String::from_utf8_lossy(name).to_ascii_lowercase();
    let ints = || (0..3).map(Reply::Integer).collect::<Vec<_>>();
    match name.as_str() {
        "string" => Reply::bulk("Hello World"),
        "integer" => Reply::Integer(12345),
        // Redis's own test value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        "double" => Reply::Double(3.141),
        "null" => Reply::Null,
        "array" => Reply::Array(ints()),
        "set" => Reply::Set(ints()),
        "map" => Reply::Map(
            (0..3)
                .map(|i| (Reply::Integer(i), Reply::Bool(i == 1)))
                .collect(),
        ),
        "push" => {
            if ctx.me().protocol != crate::client::Protocol::Resp3 {
                return Reply::error("ERR RESP2 is not supported by this command");
            }
            Reply::Many(vec![
                Reply::Push(vec![Reply::bulk("server-cpu-usage"), Reply::Integer(42)]),
                Reply::bulk("Some real reply following the push reply"),
            ])
        }
        "true" => Reply::Bool(true),
        "false" => Reply::Bool(false),
        "verbatim" => Reply::Verbatim("This is a verbatim\nstring".into()),
        "bignum" => Reply::BigNumber("1234567999999999999999999999999999999".into()),
        "attrib" => Reply::Attributed {
            attributes: vec![(
                Reply::bulk("key-popularity"),
                Reply::Array(vec![Reply::bulk("key:123"), Reply::Integer(90)]),
            )],
            reply: Box::new(Reply::bulk("Some real reply following the attribute")),
        },
        _ => Reply::error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"),
    }
}

/// DEBUG POPULATE count [prefix] [size]: `prefix:N` keys holding
/// `value:N` (padded with zeros, or cut, to `size` bytes when given),
/// skipping keys that exist, as Redis does.
fn populate(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(count) = crate::numbers::parse_i64(&args[2]).filter(|n| *n >= 0) else {
        return Reply::error("ERR value is out of range, must be positive");
    };
    let prefix = args.get(3).cloned().unwrap_or_else(|| b"key".to_vec());
    let size = match args.get(4).map(|a| crate::numbers::parse_i64(a)) {
        None => None,
        Some(Some(n)) if n >= 0 => Some(n as usize),
        Some(_) => return Reply::error("ERR value is out of range, must be positive"),
    };
    const MAX_POPULATE: i64 = 10_000_000;
    if count > MAX_POPULATE {
        return Reply::error(format!(
            "ERR count is too large for the model (at most {MAX_POPULATE} keys)"
        ));
    }
    let now = ctx.now_ms;
    for i in 0..count {
        let mut key = prefix.clone();
        key.extend_from_slice(format!(":{i}").as_bytes());
        if ctx.db.exists(&key, now) {
            continue;
        }
        let mut value = format!("value:{i}").into_bytes();
        if let Some(size) = size {
            value.resize(size, 0);
        }
        ctx.db.set(&key, crate::value::Value::String(value), false);
    }
    ctx.charge(count as usize);
    Reply::ok()
}

/// DEBUG OBJECT key: Redis's one-line description, with the fields the
/// model knows (the address and LRU clock are zero: it has neither).
fn object(ctx: &mut Ctx, key: &[u8]) -> Reply {
    // Redis looks in the table itself: a key past its TTL that is not yet
    // removed is still described (and not removed by looking).
    let Some(entry) = ctx.db.peek(key) else {
        return Reply::error("ERR no such key");
    };
    let encoding = crate::commands::keys::object::encoding_of(&entry.value, &ctx.server.config);
    let length = format!("{:?}", entry.value).len();
    Reply::Status(format!(
        "Value at:0x0 refcount:1 encoding:{encoding} serializedlength:{length} lru:0 lru_seconds_idle:0"
    ))
}

/// DEBUG DIGEST: 40 zeros for an empty dataset, as in Redis; otherwise a
/// SHA-1 over every database's keys, values and expiry times, so it
/// changes whenever the data does and not otherwise.
fn digest(ctx: &mut Ctx) -> String {
    let mut text = Vec::new();
    let mut any = false;
    for index in 0..ctx.db_count() {
        let Some(db) = ctx.db_at(index) else { continue };
        for (key, entry) in db.iter() {
            any = true;
            text.extend_from_slice(
                format!(
                    "{index}:{key:?}={:?}@{:?};",
                    entry.value, entry.expire_at_ms
                )
                .as_bytes(),
            );
        }
    }
    if any {
        hex_digest(&text)
    } else {
        "0".repeat(40)
    }
}

fn hex_digest(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "0".repeat(40)
    } else {
        crate::scripting::sha1_hex(bytes)
    }
}

/// DEBUG SLEEP's pause in microseconds: a blocking pause in simulated time.
/// The engine charges it as the command's cost; the caller (simulator or
/// server) is what keeps the node busy that long. Parsed like Redis: C's
/// `strtod` on the longest valid prefix (garbage reads as 0), times 10^6
/// truncated to an integer; a negative, infinite or NaN duration does not
/// sleep at all.
fn sleep_micros(arg: &[u8]) -> u64 {
    let seconds = strtod_prefix(arg);
    let micros = seconds * 1_000_000.0;
    if (1.0..9.2e18).contains(&micros) {
        micros as u64
    } else {
        0
    }
}

fn strtod_prefix(arg: &[u8]) -> f64 {
    crate::numbers::strtod(arg).value
}

/// C's `atoi`: optional spaces and sign, then digits; 0 if none.
fn atoi(arg: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(arg);
    let t = text.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().unwrap_or(0);
    if neg {
        -n
    } else {
        n
    }
}

const HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "MALLCTL <key> [<val>]",
    "    Get or set a malloc tuning integer.",
    "MALLCTL-STR <key> [<val>]",
    "    Get or set a malloc tuning string.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "DROP-CLUSTER-PACKET-FILTER <packet-type>",
    "    Drop all packets that match the filtered type. Set to -1 allow all packets.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "STRUCTSIZE",
    "    Return the size of different Redis core C structures.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "CLIENT-EVICTION",
    "    Show low level client eviction pools info (maxmemory-clients).",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
    "CLUSTERLINK KILL <to|from|all> <node-id>",
    "    Kills the link based on the direction to/from (both) with the provided node.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sleep_parses_like_strtod() {
        assert_eq!(sleep_micros(b"1.5"), 1_500_000);
        assert_eq!(sleep_micros(b"0.0001"), 100);
        assert_eq!(sleep_micros(b"2abc"), 2_000_000);
        assert_eq!(sleep_micros(b"abc"), 0);
        assert_eq!(sleep_micros(b"-1"), 0);
        assert_eq!(sleep_micros(b"1e-3"), 1_000);
        assert_eq!(sleep_micros(b"inf"), 0);
        assert_eq!(sleep_micros(b" .5"), 500_000);
    }
}

#[cfg(test)]
mod session_tests {
    use crate::commands::test_session::{session, Session};

    fn debug_session() -> Session {
        let mut s = Session::new();
        s.engine
            .config_mut()
            .set_startup("enable-debug-command", "yes")
            .expect("a known parameter");
        s
    }

    #[test]
    fn populate_reload_and_digest() {
        let mut s = debug_session();
        session!(s,
            "DEBUG DIGEST" => "+0000000000000000000000000000000000000000\r\n",
            "SET key:1 mine" => "+OK\r\n",
            "DEBUG POPULATE 3" => "+OK\r\n",
            "DBSIZE" => ":3\r\n",
            "GET key:1" => "$4\r\nmine\r\n",
            "GET key:2" => "$7\r\nvalue:2\r\n",
            "DEBUG POPULATE 1 p 3" => "+OK\r\n",
            "GET p:0" => "$3\r\nval\r\n",
        );
        let before = s.run("DEBUG DIGEST");
        session!(s, "DEBUG RELOAD" => "+OK\r\n", "DEBUG LOADAOF" => "+OK\r\n");
        assert_eq!(s.run("DEBUG DIGEST"), before);
        s.run("SET key:1 changed");
        assert_ne!(s.run("DEBUG DIGEST"), before);
    }

    #[test]
    fn reload_without_flush_or_merge_meets_what_is_there() {
        let mut s = debug_session();
        session!(s,
            "DEBUG RELOAD NOFLUSH" => "+OK\r\n",
            "DEBUG RELOAD BOGUS" => "-ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.\r\n",
            "SET k v" => "+OK\r\n",
            "DEBUG RELOAD NOFLUSH" => "-ERR Error trying to load the RDB dump\r\n",
            "DEBUG RELOAD NOFLUSH MERGE" => "+OK\r\n",
            "DEBUG RELOAD NOSAVE" => "+OK\r\n",
            "GET k" => "$1\r\nv\r\n",
        );
    }

    #[test]
    fn object_describes_a_key_past_its_ttl_until_it_is_removed() {
        let mut s = debug_session();
        session!(s, "SET key v PX 1" => "+OK\r\n");
        s.now_ms += 5;
        assert!(s.run("DEBUG OBJECT key").starts_with("+Value at:"));
        session!(s,
            "EXISTS key" => ":0\r\n",
            "DEBUG OBJECT key" => "-ERR no such key\r\n",
        );
    }

    #[test]
    fn protocol_types() {
        let mut s = debug_session();
        session!(s,
            "DEBUG PROTOCOL map" => "*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
            "DEBUG PROTOCOL push" => "-ERR RESP2 is not supported by this command\r\n",
            "DEBUG PROTOCOL bignum" => "$37\r\n1234567999999999999999999999999999999\r\n",
            "DEBUG PROTOCOL attrib" => "$39\r\nSome real reply following the attribute\r\n",
        );
        s.resp3();
        session!(s,
            "DEBUG PROTOCOL map" => "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
            "DEBUG PROTOCOL double" => ",3.141\r\n",
            "DEBUG PROTOCOL bignum" => "(1234567999999999999999999999999999999\r\n",
            "DEBUG PROTOCOL attrib" => "|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n$39\r\nSome real reply following the attribute\r\n",
        );
        assert!(s
            .run("DEBUG PROTOCOL nope")
            .starts_with("-ERR Wrong protocol type name."));
    }
}
