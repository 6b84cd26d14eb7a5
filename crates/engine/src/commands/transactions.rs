//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between MULTI and EXEC the dispatcher queues commands (replying
//! `QUEUED`) and flags the transaction when one is refused at queue time
//! (unknown command, wrong arity): EXEC then fails with EXECABORT and runs
//! nothing. Errors that only show when a command runs (WRONGTYPE, ...) do
//! not stop the others: they are elements of EXEC's array.
//!
//! WATCH is optimistic locking. Any change to a watched key before EXEC —
//! by another client, by this client itself before MULTI, by FLUSHALL, or by
//! the key expiring — makes EXEC return a null array and run nothing.

use crate::command::{flags, spec, CommandSpec, Ctx, ALL_KEYS, NO_KEYS};
use crate::engine::{self, discard_transaction, unwatch_all, watched_by_db};
use crate::reply::Reply;

const TX_FLAGS: u32 =
    flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::ALLOW_BUSY;

pub const COMMANDS: &[CommandSpec] = &[
    spec("multi", 1, TX_FLAGS, NO_KEYS, multi),
    spec(
        "exec",
        1,
        flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::SKIP_SLOWLOG,
        NO_KEYS,
        exec,
    ),
    spec("discard", 1, TX_FLAGS, NO_KEYS, discard),
    spec("watch", -2, TX_FLAGS, ALL_KEYS, watch),
    spec("unwatch", 1, TX_FLAGS, NO_KEYS, unwatch),
];

/// MULTI: starts queueing this connection's commands.
fn multi(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let me = ctx.me();
    if me.multi.is_some() {
        return Reply::error("ERR MULTI calls can not be nested");
    }
    me.multi = Some(Default::default());
    Reply::ok()
}

/// EXEC: runs the queued commands one after the other, nothing else
/// running in between, and replies with the array of their replies.
/// A null array instead if a watched key changed (or expired); EXECABORT
/// if a command was refused while queueing.
fn exec(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let Some(queued) = ctx
        .me()
        .multi
        .as_ref()
        .map(|m| (m.errored, m.queued.clone()))
    else {
        return Reply::error("ERR EXEC without MULTI");
    };
    let (errored, commands) = queued;
    if errored {
        discard_transaction(ctx);
        return Reply::error("EXECABORT Transaction discarded because of previous errors.");
    }
    if watch_broken(ctx) {
        discard_transaction(ctx);
        return Reply::NullArray;
    }
    // Unwatch first, as Redis does: the transaction's own writes must not
    // matter, and nothing else runs until it is over.
    unwatch_all(ctx);
    ctx.me().in_exec = true;
    let mut replies = Vec::with_capacity(commands.len());
    for args in &commands {
        // Queued commands were resolved when queued; the table is static.
        let reply = match engine::resolve(args) {
            Ok(spec) => engine::call(ctx, spec, args),
            Err(e) => e,
        };
        replies.push(reply);
    }
    ctx.me().in_exec = false;
    discard_transaction(ctx);
    Reply::Array(replies)
}

/// Whether EXEC must abort for WATCH: a watched key was touched, or one
/// that was live at WATCH time is now past its TTL (Redis 7.0's
/// `isWatchedKeyExpired`, which catches a key that expired but that no
/// access has removed yet).
fn watch_broken(ctx: &mut Ctx) -> bool {
    let id = ctx.client_id;
    let now = ctx.now_ms;
    let watched = ctx.me().watched.clone();
    for (db, keys) in watched_by_db(&watched) {
        if let Some(ks) = ctx.db_at(db) {
            if ks.is_dirty(id) || ks.watched_key_expired(id, &keys, now) {
                return true;
            }
        }
    }
    false
}

/// DISCARD: drops the queued commands and every watch.
fn discard(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    if ctx.me().multi.is_none() {
        return Reply::error("ERR DISCARD without MULTI");
    }
    discard_transaction(ctx);
    Reply::ok()
}

/// WATCH key [key ...]: EXEC will fail if any of these keys changes first.
fn watch(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if ctx.me().multi.is_some() {
        return Reply::error("ERR WATCH inside MULTI is not allowed");
    }
    // Already doomed: watching more changes nothing.
    if is_dirty(ctx) {
        return Reply::ok();
    }
    let id = ctx.client_id;
    let now = ctx.now_ms;
    let db = ctx.me().db;
    for key in &args[1..] {
        if ctx.me().watched.insert((db, key.clone())) {
            ctx.db.watch_at(id, key, now);
        }
    }
    Reply::ok()
}

fn is_dirty(ctx: &mut Ctx) -> bool {
    let id = ctx.client_id;
    let dbs: Vec<usize> = watched_by_db(&ctx.me().watched).into_keys().collect();
    dbs.into_iter()
        .any(|db| ctx.db_at(db).is_some_and(|ks| ks.is_dirty(id)))
}

/// UNWATCH: forgets every watched key (EXEC and DISCARD do it too).
fn unwatch(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    unwatch_all(ctx);
    Reply::ok()
}

#[cfg(test)]
mod tests {
    use crate::client::{ClientId, Protocol};
    use crate::encode::to_bytes;
    use crate::engine::Engine;
    use crate::value::Value;

    /// A tiny redis-cli: runs `line` (space-separated) as client `id` at
    /// `now` and returns the RESP bytes as text.
    fn cli(e: &mut Engine, id: ClientId, now: i64, line: &str) -> String {
        let args: Vec<Vec<u8>> = line.split(' ').map(|s| s.as_bytes().to_vec()).collect();
        let reply = e.execute(id, &args, now).reply;
        String::from_utf8_lossy(&to_bytes(&reply, e.protocol(id))).into_owned()
    }

    /// Writes `key` as another command family would (`SET`), so these tests
    /// do not depend on the strings family.
    fn write(e: &mut Engine, key: &str, value: &str) {
        e.keyspace_mut().set(
            key.as_bytes(),
            Value::String(value.as_bytes().to_vec()),
            false,
        );
    }

    #[test]
    fn queue_then_exec() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(cli(&mut e, c, 0, "MULTI"), "+OK\r\n");
        assert_eq!(cli(&mut e, c, 0, "PING"), "+QUEUED\r\n");
        assert_eq!(cli(&mut e, c, 0, "ECHO hi"), "+QUEUED\r\n");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "*2\r\n+PONG\r\n$2\r\nhi\r\n");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "-ERR EXEC without MULTI\r\n");
        assert_eq!(
            cli(&mut e, c, 0, "DISCARD"),
            "-ERR DISCARD without MULTI\r\n"
        );
    }

    #[test]
    fn queue_time_errors_abort_the_transaction() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(
            cli(&mut e, c, 0, "MULTI"),
            "-ERR MULTI calls can not be nested\r\n"
        );
        assert_eq!(
            cli(&mut e, c, 0, "WATCH k"),
            "-ERR WATCH inside MULTI is not allowed\r\n"
        );
        assert_eq!(
            cli(&mut e, c, 0, "NOSUCH x"),
            "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"
        );
        assert_eq!(cli(&mut e, c, 0, "PING"), "+QUEUED\r\n");
        assert_eq!(
            cli(&mut e, c, 0, "EXEC"),
            "-EXECABORT Transaction discarded because of previous errors.\r\n"
        );
        // A refused EXEC discards the transaction, saying why.
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(
            cli(&mut e, c, 0, "EXEC now"),
            "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n"
        );
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "-ERR EXEC without MULTI\r\n");
    }

    #[test]
    fn another_clients_write_aborts_exec() {
        let mut e = Engine::new(0);
        let alice = e.connect("127.0.0.1:1", 0);
        let bob = e.connect("127.0.0.1:2", 0);
        cli(&mut e, alice, 0, "SET balance 10");
        assert_eq!(cli(&mut e, alice, 0, "WATCH balance"), "+OK\r\n");
        assert_eq!(cli(&mut e, alice, 0, "GET balance"), "$2\r\n10\r\n");
        cli(&mut e, alice, 0, "MULTI");
        assert_eq!(cli(&mut e, alice, 0, "DECRBY balance 10"), "+QUEUED\r\n");
        // Bob spends the money between Alice's WATCH and her EXEC.
        assert_eq!(cli(&mut e, bob, 0, "DECRBY balance 10"), ":0\r\n");
        assert_eq!(cli(&mut e, alice, 0, "EXEC"), "*-1\r\n");
        assert_eq!(cli(&mut e, alice, 0, "GET balance"), "$1\r\n0\r\n");
        // The watch is gone after EXEC: the next transaction goes through.
        cli(&mut e, alice, 0, "MULTI");
        cli(&mut e, alice, 0, "INCRBY balance 5");
        assert_eq!(cli(&mut e, alice, 0, "EXEC"), "*1\r\n:5\r\n");
    }

    #[test]
    fn a_read_by_another_client_does_not_abort() {
        let mut e = Engine::new(0);
        let alice = e.connect("127.0.0.1:1", 0);
        let bob = e.connect("127.0.0.1:2", 0);
        cli(&mut e, alice, 0, "SET k v");
        cli(&mut e, alice, 0, "WATCH k");
        assert_eq!(cli(&mut e, bob, 0, "GET k"), "$1\r\nv\r\n");
        cli(&mut e, alice, 0, "MULTI");
        cli(&mut e, alice, 0, "SET k mine");
        assert_eq!(cli(&mut e, alice, 0, "EXEC"), "*1\r\n+OK\r\n");
    }

    #[test]
    fn two_clients_watching_the_same_key() {
        let mut e = Engine::new(0);
        let alice = e.connect("127.0.0.1:1", 0);
        let bob = e.connect("127.0.0.1:2", 0);
        cli(&mut e, alice, 0, "SET seats 1");
        cli(&mut e, alice, 0, "WATCH seats");
        cli(&mut e, bob, 0, "WATCH seats");
        cli(&mut e, alice, 0, "MULTI");
        cli(&mut e, alice, 0, "DECR seats");
        cli(&mut e, bob, 0, "MULTI");
        cli(&mut e, bob, 0, "DECR seats");
        // Whoever commits first wins; the other's EXEC sees the change.
        assert_eq!(cli(&mut e, bob, 0, "EXEC"), "*1\r\n:0\r\n");
        assert_eq!(cli(&mut e, alice, 0, "EXEC"), "*-1\r\n");
    }

    #[test]
    fn flushall_by_another_client_aborts() {
        let mut e = Engine::new(0);
        let alice = e.connect("127.0.0.1:1", 0);
        let bob = e.connect("127.0.0.1:2", 0);
        cli(&mut e, alice, 0, "SET k v");
        cli(&mut e, alice, 0, "WATCH k");
        cli(&mut e, bob, 0, "FLUSHALL");
        cli(&mut e, alice, 0, "MULTI");
        assert_eq!(cli(&mut e, alice, 0, "EXEC"), "*-1\r\n");
    }

    #[test]
    fn a_watch_on_another_key_is_not_disturbed() {
        let mut e = Engine::new(0);
        let alice = e.connect("127.0.0.1:1", 0);
        cli(&mut e, alice, 0, "WATCH mine");
        write(&mut e, "theirs", "1");
        cli(&mut e, alice, 0, "MULTI");
        assert_eq!(cli(&mut e, alice, 0, "EXEC"), "*0\r\n");
    }

    #[test]
    fn own_write_before_multi_aborts_and_resp3_null() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        cli(&mut e, c, 0, "HELLO 3");
        assert_eq!(e.protocol(c), Protocol::Resp3);
        cli(&mut e, c, 0, "WATCH k");
        write(&mut e, "k", "v");
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "_\r\n");
    }

    #[test]
    fn unwatch_and_discard_forget_watches() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        cli(&mut e, c, 0, "WATCH k");
        assert_eq!(cli(&mut e, c, 0, "UNWATCH"), "+OK\r\n");
        write(&mut e, "k", "v");
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "*0\r\n");

        cli(&mut e, c, 0, "WATCH k");
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(cli(&mut e, c, 0, "DISCARD"), "+OK\r\n");
        write(&mut e, "k", "w");
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "*0\r\n");
    }

    #[test]
    fn flushall_aborts_a_watch_on_an_existing_key_only() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        write(&mut e, "k", "v");
        cli(&mut e, c, 0, "WATCH k");
        e.keyspace_mut().clear();
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "*-1\r\n");

        cli(&mut e, c, 0, "WATCH missing");
        e.keyspace_mut().clear();
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "*0\r\n");
    }

    #[test]
    fn expiry_of_a_live_watched_key_aborts_exec() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        write(&mut e, "lock", "me");
        e.keyspace_mut().set_expire(b"lock", Some(100));
        cli(&mut e, c, 50, "WATCH lock");
        cli(&mut e, c, 150, "MULTI");
        // Nobody touched the key, but its TTL passed: Redis 7.0 aborts.
        assert_eq!(cli(&mut e, c, 150, "EXEC"), "*-1\r\n");
    }

    #[test]
    fn expiry_removal_after_watch_also_aborts() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        write(&mut e, "lock", "me");
        e.keyspace_mut().set_expire(b"lock", Some(100));
        cli(&mut e, c, 50, "WATCH lock");
        e.active_expire(150);
        cli(&mut e, c, 150, "MULTI");
        assert_eq!(cli(&mut e, c, 150, "EXEC"), "*-1\r\n");
    }

    #[test]
    fn a_key_already_expired_at_watch_time_does_not_abort() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        write(&mut e, "lock", "me");
        e.keyspace_mut().set_expire(b"lock", Some(100));
        // Past its TTL but still in the table when WATCHed: logically absent.
        cli(&mut e, c, 200, "WATCH lock");
        e.active_expire(200);
        cli(&mut e, c, 200, "MULTI");
        assert_eq!(cli(&mut e, c, 200, "EXEC"), "*0\r\n");
        // ...but writing it afterwards is a change.
        cli(&mut e, c, 300, "WATCH lock");
        write(&mut e, "lock", "you");
        cli(&mut e, c, 300, "MULTI");
        assert_eq!(cli(&mut e, c, 300, "EXEC"), "*-1\r\n");
    }

    #[test]
    fn watch_after_the_client_is_dirty_is_a_no_op() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        cli(&mut e, c, 0, "WATCH a");
        write(&mut e, "a", "1");
        assert_eq!(cli(&mut e, c, 0, "WATCH b"), "+OK\r\n");
        cli(&mut e, c, 0, "MULTI");
        assert_eq!(cli(&mut e, c, 0, "EXEC"), "*-1\r\n");
    }

    #[test]
    fn disconnect_drops_watches() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        cli(&mut e, c, 0, "WATCH k");
        e.disconnect(c);
        write(&mut e, "k", "v");
        assert!(!e.keyspace().is_dirty(c));
    }

    #[test]
    fn monitor_inside_exec_is_refused() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        cli(&mut e, c, 0, "MULTI");
        cli(&mut e, c, 0, "MONITOR");
        assert_eq!(
            cli(&mut e, c, 0, "EXEC"),
            "*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n"
        );
    }
}
