//! Connection commands: PING, ECHO, HELLO, AUTH, CLIENT, QUIT, RESET.

use crate::client::{ClientState, Protocol};
pub(crate) use crate::command::help_reply;
use crate::command::{flags, spec, Args, CommandSpec, Ctx, NO_KEYS};
use crate::engine::discard_transaction;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::server::acl::DEFAULT_USER;

/// The version HELLO and INFO report: the reference server's.
pub const REDIS_VERSION: &str = "7.0.15";

const CONN: u32 = flags::NOSCRIPT | flags::LOADING | flags::STALE;
const CONN_FAST: u32 = CONN | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY;

pub const COMMANDS: &[CommandSpec] = &[
    spec("ping", -1, flags::FAST | flags::PUBSUB, NO_KEYS, ping),
    spec(
        "echo",
        2,
        flags::LOADING | flags::STALE | flags::FAST,
        NO_KEYS,
        echo,
    ),
    spec("hello", -1, CONN_FAST, NO_KEYS, hello),
    spec("auth", -2, CONN_FAST, NO_KEYS, auth),
    spec("quit", -1, CONN_FAST | flags::PUBSUB, NO_KEYS, quit),
    spec("reset", 1, CONN_FAST | flags::PUBSUB, NO_KEYS, reset),
    spec("client", -2, 0, NO_KEYS, container).with_subcommands(CLIENT_SUBCOMMANDS),
];

const CLIENT_SUBCOMMANDS: &[CommandSpec] = &[
    spec("id", 2, CONN, NO_KEYS, client_id),
    spec("getname", 2, CONN, NO_KEYS, client_getname),
    spec("setname", 3, CONN, NO_KEYS, client_setname),
    spec("info", 2, CONN, NO_KEYS, client_info),
    spec("list", -2, CONN | flags::ADMIN, NO_KEYS, client_list),
    spec(
        "getredir",
        2,
        CONN,
        NO_KEYS,
        crate::tracking::client_getredir,
    ),
    spec(
        "tracking",
        -3,
        CONN,
        NO_KEYS,
        crate::tracking::client_tracking,
    ),
    spec("caching", 3, CONN, NO_KEYS, crate::tracking::client_caching),
    spec(
        "trackinginfo",
        2,
        CONN,
        NO_KEYS,
        crate::tracking::client_trackinginfo,
    ),
    spec("no-evict", 3, CONN | flags::ADMIN, NO_KEYS, client_no_evict),
    spec("reply", 3, CONN, NO_KEYS, client_reply),
    spec(
        "kill",
        -3,
        CONN | flags::ADMIN,
        NO_KEYS,
        super::client_kill::client_kill,
    ),
    spec(
        "pause",
        -3,
        CONN | flags::ADMIN,
        NO_KEYS,
        super::client_pause::client_pause,
    ),
    spec(
        "unpause",
        2,
        CONN | flags::ADMIN,
        NO_KEYS,
        super::client_pause::client_unpause,
    ),
    spec(
        "unblock",
        -3,
        CONN | flags::ADMIN,
        NO_KEYS,
        crate::blocking::client_unblock,
    ),
    spec(
        "help",
        2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        client_help,
    ),
];

/// Container commands are resolved to a subcommand before running; this
/// handler is never reached.
pub(crate) fn container(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::syntax_error()
}

/// PING [message]: `PONG`, or the message as a bulk string. In the RESP2
/// subscribed context Redis answers with a `pong` push-style array instead.
fn ping(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Args::handle(args, |args| {
        let message = args.next_optional();
        args.finish_arity()?;
        if ctx.me().in_pubsub_context() {
            return Ok(Reply::Array(vec![
                Reply::bulk("pong"),
                Reply::bulk(message.unwrap_or_default()),
            ]));
        }
        Ok(match message {
            Some(m) => Reply::bulk(m),
            None => Reply::Status("PONG".into()),
        })
    })
}

/// ECHO message: the message back.
fn echo(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Reply::Bulk(args[1].clone())
}

/// Whether `user`/`password` log in, and if so logs the connection in as
/// that user. `default` takes any password unless `requirepass` is set;
/// other users are ACL SETUSER's.
fn authenticate(ctx: &mut Ctx, user: &[u8], password: &[u8]) -> bool {
    let ok = if user == DEFAULT_USER {
        match ctx.server.config.get("requirepass") {
            Some("") | None => true,
            Some(required) => required.as_bytes() == password,
        }
    } else {
        ctx.server
            .acl
            .user(user)
            .is_some_and(|u| u.accepts(password))
    };
    if ok {
        let me = ctx.me();
        me.authenticated = true;
        me.user = user.to_vec();
    }
    ok
}

fn wrong_pass() -> Reply {
    Reply::error("WRONGPASS invalid username-password pair or user is disabled.")
}

/// AUTH [username] password. With no `requirepass`, the one-argument form
/// is an error (there is nothing to authenticate against).
fn auth(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return Reply::syntax_error();
    }
    let (user, password): (&[u8], &[u8]) = if args.len() == 2 {
        if matches!(ctx.server.config.get("requirepass"), Some("") | None) {
            return Reply::error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        }
        (b"default", &args[1])
    } else {
        (&args[1], &args[2])
    };
    if authenticate(ctx, user, password) {
        Reply::ok()
    } else {
        wrong_pass()
    }
}

/// HELLO [protover [AUTH username password] [SETNAME name]]: switches the
/// protocol and describes the server. Options apply in order, so a name
/// set before a bad option stays set, as in Redis.
fn hello(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut version = None;
    if args.len() >= 2 {
        match parse_i64(&args[1]) {
            None => return Reply::error("ERR Protocol version is not an integer or out of range"),
            Some(v @ (2 | 3)) => version = Some(v),
            Some(_) => return Reply::error("NOPROTO unsupported protocol version"),
        }
    }
    let mut j = 2;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"auth") && more >= 2 {
            if !authenticate(ctx, &args[j + 1], &args[j + 2]) {
                return wrong_pass();
            }
            j += 3;
        } else if opt.eq_ignore_ascii_case(b"setname") && more >= 1 {
            if let Err(e) = set_name(ctx.me(), &args[j + 1]) {
                return e;
            }
            j += 2;
        } else {
            return Reply::error(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(opt)
            ));
        }
    }
    if !ctx.me().authenticated {
        return Reply::error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
    }
    let me = ctx.me();
    if let Some(v) = version {
        me.protocol = if v == 3 {
            Protocol::Resp3
        } else {
            Protocol::Resp2
        };
    }
    let (protocol, id) = (me.protocol.version(), me.id);
    Reply::Map(vec![
        (Reply::bulk("server"), Reply::bulk("redis")),
        (Reply::bulk("version"), Reply::bulk(REDIS_VERSION)),
        (Reply::bulk("proto"), Reply::Integer(protocol)),
        (Reply::bulk("id"), Reply::Integer(id as i64)),
        (Reply::bulk("mode"), Reply::bulk("standalone")),
        (Reply::bulk("role"), Reply::bulk("master")),
        (Reply::bulk("modules"), Reply::Array(Vec::new())),
    ])
}

/// QUIT: `OK`, then the connection closes (the dispatcher sets
/// `Outcome::close`).
fn quit(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::ok()
}

/// RESET: the connection as if new — out of MULTI (watches dropped), out
/// of MONITOR, unsubscribed (without unsubscribe messages), database 0,
/// RESP2, no name, and authenticated only if no password is required.
fn reset(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    discard_transaction(ctx);
    let me = ctx.client_id;
    ctx.server.tracking.disable(me);
    ctx.select_db(0);
    let nopass = matches!(ctx.server.config.get("requirepass"), Some("") | None);
    let me = ctx.me();
    me.monitor = false;
    me.protocol = Protocol::Resp2;
    me.authenticated = nopass;
    me.user.clear();
    me.channels.clear();
    me.patterns.clear();
    me.name = None;
    Reply::Status("RESET".into())
}

/// Redis's `clientSetName`: an empty name removes it; otherwise only
/// printable ASCII without spaces, so CLIENT LIST stays parseable.
fn set_name(client: &mut ClientState, name: &[u8]) -> Result<(), Reply> {
    if name.is_empty() {
        client.name = None;
        return Ok(());
    }
    if name.iter().any(|b| !(b'!'..=b'~').contains(b)) {
        return Err(Reply::error(
            "ERR Client names cannot contain spaces, newlines or special characters.",
        ));
    }
    client.name = Some(name.to_vec());
    Ok(())
}

/// CLIENT ID: this connection's id.
fn client_id(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Integer(ctx.me().id as i64)
}

/// CLIENT GETNAME: the name, or null.
fn client_getname(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    match &ctx.me().name {
        Some(n) => Reply::Bulk(n.clone()),
        None => Reply::Null,
    }
}

/// CLIENT SETNAME name.
fn client_setname(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match set_name(ctx.me(), &args[2]) {
        Ok(()) => Reply::ok(),
        Err(e) => e,
    }
}

/// CLIENT NO-EVICT ON|OFF: accepted; client eviction is not modelled.
fn client_no_evict(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args[2].eq_ignore_ascii_case(b"on") || args[2].eq_ignore_ascii_case(b"off") {
        Reply::ok()
    } else {
        Reply::syntax_error()
    }
}

/// CLIENT REPLY ON|OFF|SKIP: OFF and SKIP are not answered themselves.
fn client_reply(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    use crate::client::ReplyMode;
    let mode = &mut ctx.me().reply_mode;
    if args[2].eq_ignore_ascii_case(b"on") {
        *mode = ReplyMode::On;
        Reply::ok()
    } else if args[2].eq_ignore_ascii_case(b"off") {
        *mode = ReplyMode::Off;
        Reply::Many(Vec::new())
    } else if args[2].eq_ignore_ascii_case(b"skip") {
        if *mode != ReplyMode::Off {
            *mode = ReplyMode::SkipNext;
        }
        Reply::Many(Vec::new())
    } else {
        Reply::syntax_error()
    }
}

/// CLIENT INFO: this connection's CLIENT LIST line.
fn client_info(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let dirty = is_dirty(ctx, ctx.client_id);
    let me = ctx.client_id;
    let tracker = ctx.server.tracking.tracker(me);
    let Some(c) = ctx.clients.get(&me) else {
        return Reply::Null;
    };
    let line = info_line(c, tracker, now, dirty, query_len(args));
    Reply::Verbatim(line + "\n")
}

/// CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id ...]: one line
/// per connection, oldest first.
fn client_list(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let now = ctx.now_ms;
    let mut selected: Vec<u64> = Vec::new();
    if args.len() == 4 && args[2].eq_ignore_ascii_case(b"type") {
        let kind = String::from_utf8_lossy(&args[3]).to_ascii_lowercase();
        match kind.as_str() {
            "normal" | "pubsub" => {
                let pubsub = kind == "pubsub";
                selected = ctx
                    .clients
                    .values()
                    .filter(|c| (c.subscription_count() > 0) == pubsub)
                    .map(|c| c.id)
                    .collect();
            }
            "master" | "replica" | "slave" => {}
            _ => {
                return Reply::error(format!(
                    "ERR Unknown client type '{}'",
                    String::from_utf8_lossy(&args[3])
                ))
            }
        }
    } else if args.len() > 3 && args[2].eq_ignore_ascii_case(b"id") {
        for arg in &args[3..] {
            let Some(id) = parse_i64(arg) else {
                return Reply::error("ERR Invalid client ID");
            };
            if let Ok(id) = u64::try_from(id) {
                if ctx.clients.contains_key(&id) {
                    selected.push(id);
                }
            }
        }
    } else if args.len() != 2 {
        return Reply::syntax_error();
    } else {
        selected = ctx.clients.keys().copied().collect();
    }
    let mut out = String::new();
    for id in selected {
        let dirty = is_dirty(ctx, id);
        let qbuf = if id == ctx.client_id {
            query_len(args)
        } else {
            0
        };
        if let Some(c) = ctx.clients.get(&id) {
            let tracker = ctx.server.tracking.tracker(id);
            out.push_str(&info_line(c, tracker, now, dirty, qbuf));
            out.push('\n');
        }
    }
    Reply::Verbatim(out)
}

fn is_dirty(ctx: &mut Ctx, id: u64) -> bool {
    let dbs: Vec<usize> = ctx
        .clients
        .get(&id)
        .map(|c| c.watched.iter().map(|(db, _)| *db).collect())
        .unwrap_or_default();
    dbs.into_iter()
        .any(|db| ctx.db_at(db).is_some_and(|ks| ks.is_dirty(id)))
}

/// The bytes of a command as a RESP multibulk: the caller's query buffer
/// while its command runs (CLIENT LIST's `qbuf`).
fn query_len(args: &[Vec<u8>]) -> usize {
    let header = |n: usize| n.to_string().len() + 3;
    header(args.len())
        + args
            .iter()
            .map(|a| header(a.len()) + a.len() + 2)
            .sum::<usize>()
}

/// Redis's `catClientInfoString`. Memory and other buffer fields are 0:
/// the model does not account memory; `qbuf` is the running command's own
/// size on the caller's line, as in Redis, and 0 on the others.
fn info_line(
    c: &ClientState,
    tracker: Option<&crate::tracking::Tracker>,
    now_ms: i64,
    dirty: bool,
    qbuf: usize,
) -> String {
    let mut flags = String::new();
    if c.monitor {
        flags.push('O');
    }
    if c.subscription_count() > 0 {
        flags.push('P');
    }
    if c.multi.is_some() {
        flags.push('x');
    }
    if let Some(t) = tracker {
        flags.push('t');
        if t.broken_redirect {
            flags.push('R');
        }
        if t.bcast {
            flags.push('B');
        }
    }
    if dirty {
        flags.push('d');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let name = c
        .name
        .as_deref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let secs = |ms: i64| ms.div_euclid(1000);
    let cmd = if c.last_command.is_empty() {
        "NULL"
    } else {
        c.last_command.as_str()
    };
    format!(
        "id={} addr={} laddr=127.0.0.1:6379 fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub=0 multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user={} redir={} resp={}",
        c.id,
        c.addr,
        c.id + 7,
        name,
        secs(now_ms) - secs(c.created_ms),
        secs(now_ms) - secs(c.last_command_ms),
        flags,
        c.db,
        c.channels.len(),
        c.patterns.len(),
        c.multi.as_ref().map_or(-1, |m| m.queued.len() as i64),
        qbuf,
        cmd,
        String::from_utf8_lossy(c.user_name()),
        tracker.map_or(-1, |t| t.redirect as i64),
        c.protocol.version(),
    )
}

fn client_help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
        ],
    )
}

#[cfg(test)]
mod tests {
    use crate::client::ClientId;
    use crate::encode::to_bytes;
    use crate::engine::Engine;

    fn cli(e: &mut Engine, id: ClientId, args: &[&str]) -> String {
        let args: Vec<Vec<u8>> = args.iter().map(|s| s.as_bytes().to_vec()).collect();
        let reply = e.execute(id, &args, 0).reply;
        String::from_utf8_lossy(&to_bytes(&reply, e.protocol(id))).into_owned()
    }

    #[test]
    fn hello_switches_protocol() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(
            cli(&mut e, c, &["HELLO", "3"]),
            "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:3\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
        );
        assert!(cli(&mut e, c, &["HELLO", "2"]).starts_with("*14\r\n"));
        assert_eq!(
            cli(&mut e, c, &["HELLO", "4"]),
            "-NOPROTO unsupported protocol version\r\n"
        );
        assert_eq!(
            cli(&mut e, c, &["HELLO", "x"]),
            "-ERR Protocol version is not an integer or out of range\r\n"
        );
        assert_eq!(
            cli(&mut e, c, &["HELLO", "3", "SETNAME", "ab", "cd"]),
            "-ERR Syntax error in HELLO option 'cd'\r\n"
        );
        // The name was set before the bad option.
        assert_eq!(cli(&mut e, c, &["CLIENT", "GETNAME"]), "$2\r\nab\r\n");
        assert_eq!(
            cli(&mut e, c, &["HELLO", "2", "AUTH", "bob", "pw"]),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert!(cli(&mut e, c, &["HELLO", "2", "AUTH", "default", "pw"]).starts_with("*14\r\n"));
    }

    #[test]
    fn client_names() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(cli(&mut e, c, &["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(
            cli(&mut e, c, &["CLIENT", "SETNAME", "a b"]),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
        );
        assert_eq!(
            cli(&mut e, c, &["CLIENT", "SETNAME", "worker-1"]),
            "+OK\r\n"
        );
        assert_eq!(cli(&mut e, c, &["CLIENT", "GETNAME"]), "$8\r\nworker-1\r\n");
        assert_eq!(cli(&mut e, c, &["CLIENT", "SETNAME", ""]), "+OK\r\n");
        assert_eq!(cli(&mut e, c, &["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(cli(&mut e, c, &["CLIENT", "ID"]), ":3\r\n");
        assert_eq!(
            cli(&mut e, c, &["CLIENT", "ID", "x"]),
            "-ERR wrong number of arguments for 'client|id' command\r\n"
        );
        assert_eq!(
            cli(&mut e, c, &["CLIENT", "nope"]),
            "-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n"
        );
    }

    #[test]
    fn client_list_describes_each_connection() {
        let mut e = Engine::new(0);
        let a = e.connect("127.0.0.1:1", 0);
        let _b = e.connect("127.0.0.1:2", 0);
        cli(&mut e, a, &["CLIENT", "SETNAME", "alice"]);
        cli(&mut e, a, &["MULTI"]);
        let list = cli(&mut e, a, &["CLIENT", "LIST"]);
        // Inside MULTI the command is queued, not run.
        assert_eq!(list, "+QUEUED\r\n");
        cli(&mut e, a, &["DISCARD"]);
        let list = cli(&mut e, a, &["CLIENT", "LIST"]);
        assert!(list.contains(
            "id=3 addr=127.0.0.1:1 laddr=127.0.0.1:6379 fd=10 name=alice age=0 idle=0 flags=N db=0"
        ));
        assert!(
            list.contains("cmd=client|list user=default redir=-1 resp=2\nid=4 addr=127.0.0.1:2")
        );
        assert_eq!(
            cli(&mut e, a, &["CLIENT", "LIST", "TYPE", "foo"]),
            "-ERR Unknown client type 'foo'\r\n"
        );
        assert_eq!(
            cli(&mut e, a, &["CLIENT", "LIST", "ID", "x"]),
            "-ERR Invalid client ID\r\n"
        );
        assert_eq!(cli(&mut e, a, &["CLIENT", "LIST", "ID", "7"]), "$0\r\n\r\n");
        assert_eq!(
            cli(&mut e, a, &["CLIENT", "LIST", "foo"]),
            "-ERR syntax error\r\n"
        );
    }

    #[test]
    fn reset_and_quit() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        cli(&mut e, c, &["HELLO", "3", "SETNAME", "x"]);
        cli(&mut e, c, &["MULTI"]);
        assert_eq!(cli(&mut e, c, &["RESET"]), "+RESET\r\n");
        assert_eq!(cli(&mut e, c, &["CLIENT", "GETNAME"]), "$-1\r\n");
        assert_eq!(cli(&mut e, c, &["EXEC"]), "-ERR EXEC without MULTI\r\n");
        assert!(cli(&mut e, c, &["HELLO"]).starts_with("*14\r\n"));
        let out = e.execute(c, &[b"QUIT".to_vec()], 0);
        assert!(out.close);
    }

    #[test]
    fn auth_without_a_password_configured() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(
            cli(&mut e, c, &["AUTH", "pw"]),
            "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n"
        );
        assert_eq!(cli(&mut e, c, &["AUTH", "default", "pw"]), "+OK\r\n");
        assert_eq!(
            cli(&mut e, c, &["AUTH", "a", "b", "c"]),
            "-ERR syntax error\r\n"
        );
    }
}

#[cfg(test)]
mod client_reply_tests {
    use crate::commands::test_session::Session;

    #[test]
    fn off_skip_and_on() {
        let mut s = Session::new();
        assert_eq!(s.run("CLIENT REPLY OFF"), "");
        assert_eq!(s.run("SET k v"), "");
        assert_eq!(s.run("CLIENT REPLY SKIP"), "");
        assert_eq!(s.run("CLIENT REPLY ON"), "+OK\r\n");
        assert_eq!(s.run("CLIENT REPLY SKIP"), "");
        assert_eq!(s.run("GET k"), "");
        assert_eq!(s.run("GET k"), "$1\r\nv\r\n");
        // CLIENT REPLY ON right after SKIP clears the skip and answers.
        assert_eq!(s.run("CLIENT REPLY SKIP"), "");
        assert_eq!(s.run("CLIENT REPLY ON"), "+OK\r\n");
        assert_eq!(s.run("GET k"), "$1\r\nv\r\n");
        let listener = s.client;
        // RESP3, where a subscriber may still run CLIENT REPLY. Pub/sub
        // confirmations and messages are pushes: they still go out.
        s.resp3();
        s.run("CLIENT REPLY OFF");
        assert_eq!(
            s.run("SUBSCRIBE c"),
            ">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
        );
        let other = s.engine.connect("127.0.0.1:50002", 0);
        let publish: Vec<Vec<u8>> = ["PUBLISH", "c", "m"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        s.engine.execute(other, &publish, 0);
        assert_eq!(s.engine.take_pushes(listener).len(), 1);
        assert_eq!(s.run("PING"), "");
    }
}
