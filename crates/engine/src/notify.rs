//! Keyspace notifications (`notify-keyspace-events`): after a command
//! modifies keys, a message on `__keyspace@<db>__:<key>` (the event) and
//! on `__keyevent@<db>__:<event>` (the key), as Redis's
//! `notifyKeyspaceEvent` publishes them.
//!
//! Redis calls `notifyKeyspaceEvent` from inside each command. The model
//! derives the events instead: the keyspace records which keys a command
//! modified, and this module names the event from the command (`set`,
//! `lpush`, `hset`, `expire`, ...), adds `del` when the command emptied a
//! key away, and `expired` for keys removed by their TTL. Events Redis
//! sends for keys a command did not change (`key-miss`, `new`) are not
//! sent.

use crate::command::Ctx;

/// Every class `A` stands for.
const ALL_CLASSES: &str = "g$lshzxetd";

/// The configured classes, or `None` when neither K nor E is set.
struct Wanted {
    classes: String,
    keyspace: bool,
    keyevent: bool,
}

fn wanted(ctx: &Ctx) -> Option<Wanted> {
    let flags = ctx
        .server
        .config
        .value(crate::server::config::param!("notify-keyspace-events"));
    let keyspace = flags.contains('K');
    let keyevent = flags.contains('E');
    if !keyspace && !keyevent {
        return None;
    }
    let classes = flags.replace('A', ALL_CLASSES);
    Some(Wanted {
        classes,
        keyspace,
        keyevent,
    })
}

/// Whether anyone could be told: the host then records modified keys.
pub fn enabled(ctx: &Ctx) -> bool {
    wanted(ctx).is_some()
}

/// The class and event a command's write of its `position`-th modified
/// key is announced as (`None`: the command announces nothing). Commands
/// are named in full (`xgroup|create`).
fn event_for(command: &str, position: usize) -> Option<(char, &'static str)> {
    let second = position > 0;
    Some(match command {
        "set" | "setnx" | "setex" | "psetex" | "getset" | "mset" | "msetnx" | "bitop" => {
            ('$', "set")
        }
        "append" => ('$', "append"),
        "setrange" => ('$', "setrange"),
        // Redis announces every INCR/DECR variant as `incrby`.
        "incr" | "incrby" | "decr" | "decrby" => ('$', "incrby"),
        "incrbyfloat" => ('$', "incrbyfloat"),
        "setbit" | "bitfield" => ('$', "setbit"),
        "getdel" | "del" | "unlink" => ('g', "del"),
        "getex" | "expire" | "pexpire" | "expireat" | "pexpireat" => ('g', "expire"),
        "persist" => ('g', "persist"),
        "rename" | "renamenx" if second => ('g', "rename_to"),
        "rename" | "renamenx" => ('g', "rename_from"),
        "move" => ('g', "move_from"),
        "copy" => ('g', "copy_to"),
        "restore" => ('g', "restore"),
        "sort" => ('l', "sortstore"),
        "lpush" | "lpushx" => ('l', "lpush"),
        "rpush" | "rpushx" => ('l', "rpush"),
        "lpop" => ('l', "lpop"),
        "rpop" => ('l', "rpop"),
        "rpoplpush" if second => ('l', "lpush"),
        "rpoplpush" => ('l', "rpop"),
        "lmove" if second => ('l', "push"),
        "lmove" => ('l', "pop"),
        "linsert" => ('l', "linsert"),
        "lset" => ('l', "lset"),
        "lrem" => ('l', "lrem"),
        "ltrim" => ('l', "ltrim"),
        "hset" | "hmset" | "hsetnx" => ('h', "hset"),
        "hdel" => ('h', "hdel"),
        "hincrby" => ('h', "hincrby"),
        "hincrbyfloat" => ('h', "hincrbyfloat"),
        "sadd" => ('s', "sadd"),
        "srem" => ('s', "srem"),
        "spop" => ('s', "spop"),
        "smove" if second => ('s', "sadd"),
        "smove" => ('s', "srem"),
        "sinterstore" => ('s', "sinterstore"),
        "sunionstore" => ('s', "sunionstore"),
        "sdiffstore" => ('s', "sdiffstore"),
        "zadd" => ('z', "zadd"),
        "zincrby" => ('z', "zincr"),
        "zrem" => ('z', "zrem"),
        "zremrangebyscore" => ('z', "zremrangebyscore"),
        "zremrangebyrank" => ('z', "zremrangebyrank"),
        "zremrangebylex" => ('z', "zremrangebylex"),
        "zpopmin" => ('z', "zpopmin"),
        "zpopmax" => ('z', "zpopmax"),
        "zunionstore" => ('z', "zunionstore"),
        "zinterstore" => ('z', "zinterstore"),
        "zdiffstore" => ('z', "zdiffstore"),
        "zrangestore" => ('z', "zrangestore"),
        "xadd" => ('t', "xadd"),
        "xtrim" => ('t', "xtrim"),
        "xdel" => ('t', "xdel"),
        "xsetid" => ('t', "xsetid"),
        "xgroup|create" => ('t', "xgroup-create"),
        "xgroup|setid" => ('t', "xgroup-setid"),
        "xgroup|destroy" => ('t', "xgroup-destroy"),
        "xgroup|createconsumer" => ('t', "xgroup-createconsumer"),
        "xgroup|delconsumer" => ('t', "xgroup-delconsumer"),
        _ => return None,
    })
}

/// Announces what `command` did to the keys the keyspace recorded.
pub fn after_command(ctx: &mut Ctx, command: &str, touched: Vec<(Vec<u8>, bool)>) {
    let Some(wanted) = wanted(ctx) else {
        return;
    };
    let mut seen: Vec<Vec<u8>> = Vec::new();
    for (key, expired) in touched {
        if expired {
            publish(ctx, &wanted, 'x', "expired", &key);
            continue;
        }
        if seen.contains(&key) {
            continue;
        }
        let position = seen.len();
        seen.push(key.clone());
        let Some((class, event)) = event_for(command, position) else {
            continue;
        };
        publish(ctx, &wanted, class, event, &key);
        let now = ctx.now_ms;
        // A key a command emptied away is also announced as deleted
        // (RENAME and MOVE remove their source by definition).
        let removes_by_design = matches!(event, "del" | "rename_from" | "move_from");
        // Looked at without counting as an access (LRU/LFU).
        let exists = !ctx.db.expire_if_needed(&key, now) && ctx.db.peek(&key).is_some();
        if !removes_by_design && !exists {
            publish(ctx, &wanted, 'g', "del", &key);
        }
    }
}

/// Keys the active expiry cycle removed from database `db`.
pub fn expired_keys(ctx: &mut Ctx, db: usize, keys: &[Vec<u8>]) {
    let Some(wanted) = wanted(ctx) else {
        return;
    };
    for key in keys {
        publish_in(ctx, db, &wanted, 'x', "expired", key);
    }
}

/// `xgroup-createconsumer` (class `t`) for a consumer a read or claim
/// created in the stream at `key` of the running command's database.
pub fn consumer_created(ctx: &mut Ctx, key: &[u8]) {
    stream_event(ctx, key, "xgroup-createconsumer");
}

/// A stream event (class `t`) a command announces itself, for changes to
/// consumer groups that modify no key's value.
pub fn stream_event(ctx: &mut Ctx, key: &[u8], event: &str) {
    if let Some(wanted) = wanted(ctx) {
        publish(ctx, &wanted, 't', event, key);
    }
}

/// `evicted` (class `e`) for a key maxmemory's policy removed.
pub fn evicted_key(ctx: &mut Ctx, db: usize, key: &[u8]) {
    if let Some(wanted) = wanted(ctx) {
        publish_in(ctx, db, &wanted, 'e', "evicted", key);
    }
}

fn publish(ctx: &mut Ctx, wanted: &Wanted, class: char, event: &str, key: &[u8]) {
    let db = ctx.server.active_db;
    publish_in(ctx, db, wanted, class, event, key);
}

fn publish_in(ctx: &mut Ctx, db: usize, wanted: &Wanted, class: char, event: &str, key: &[u8]) {
    if !wanted.classes.contains(class) {
        return;
    }
    if wanted.keyspace {
        let mut channel = format!("__keyspace@{db}__:").into_bytes();
        channel.extend_from_slice(key);
        crate::commands::pubsub::deliver(ctx, &channel, event.as_bytes());
    }
    if wanted.keyevent {
        let channel = format!("__keyevent@{db}__:{event}").into_bytes();
        crate::commands::pubsub::deliver(ctx, &channel, key);
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::Session;

    fn heard(s: &mut Session, id: crate::ClientId) -> String {
        s.engine
            .take_pushes(id)
            .iter()
            .map(|p| {
                String::from_utf8_lossy(&crate::encode::to_bytes(p, crate::Protocol::Resp2))
                    .into_owned()
            })
            .collect()
    }

    #[test]
    fn a_subscriber_hears_writes_and_expiries() {
        let mut s = Session::new();
        let listener = s.engine.connect("127.0.0.1:50001", 0);
        let args: Vec<Vec<u8>> = ["SUBSCRIBE", "__keyevent@0__:set", "__keyevent@0__:expired"]
            .iter()
            .map(|w| w.as_bytes().to_vec())
            .collect();
        s.engine.execute(listener, &args, 0);
        s.engine.take_pushes(listener);
        s.run("SET quiet v");
        assert_eq!(heard(&mut s, listener), "", "off by default");
        s.run("CONFIG SET notify-keyspace-events Ex$");
        s.run("SET k v PX 5");
        assert_eq!(
            heard(&mut s, listener),
            "*3\r\n$7\r\nmessage\r\n$18\r\n__keyevent@0__:set\r\n$1\r\nk\r\n"
        );
        s.engine.active_expire(100);
        assert!(heard(&mut s, listener).contains("__keyevent@0__:expired"));
        s.run("CONFIG SET notify-keyspace-events K");
        s.run("SET k v");
        assert_eq!(heard(&mut s, listener), "", "no class selected");
    }
}
