//! Set commands as a redis-cli session would show them, in raw RESP.

use crate::commands::test_session::Session;

#[test]
fn integer_sets_list_in_ascending_order() {
    let mut s = Session::new();
    assert_eq!(s.run("SADD s 10 -1 5 5"), ":3\r\n");
    assert_eq!(
        s.run("SMEMBERS s"),
        "*3\r\n$2\r\n-1\r\n$1\r\n5\r\n$2\r\n10\r\n"
    );
    // "05" is not an integer by string2ll's rules, so it is not 5.
    assert_eq!(s.run("SISMEMBER s 05"), ":0\r\n");
    assert_eq!(s.run("SMISMEMBER s 5 x"), "*2\r\n:1\r\n:0\r\n");
}

#[test]
fn a_string_member_converts_the_set_for_good() {
    let mut s = Session::new();
    s.run("SADD s 3 1 2");
    s.run("SADD s x");
    s.run("SREM s x");
    // Still a hashtable: our stand-in order is the order members arrived in.
    assert_eq!(
        s.run("SMEMBERS s"),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    let encoding = match s.engine.keyspace().peek(b"s").map(|e| &e.value) {
        Some(crate::value::Value::Set(set)) => set.encoding(),
        _ => "",
    };
    assert_eq!(encoding, "hashtable");
}

#[test]
fn resp3_sets_and_integers() {
    let mut s = Session::new();
    s.resp3();
    s.run("SADD s 2 1");
    assert_eq!(s.run("SMEMBERS s"), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert_eq!(s.run("SMEMBERS nokey"), "~0\r\n");
    assert_eq!(s.run("SISMEMBER s 1"), ":1\r\n");
    assert_eq!(s.run("SUNION s nokey"), "~2\r\n$1\r\n1\r\n$1\r\n2\r\n");
}

#[test]
fn set_algebra() {
    let mut s = Session::new();
    s.run("SADD a 1 2 3 4");
    s.run("SADD b 3 4 5");
    s.run("SADD words x 9 8");
    s.run("SADD xs x");
    assert_eq!(s.run("SINTER a b"), "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
    assert_eq!(s.run("SINTERCARD 2 a b LIMIT 1"), ":1\r\n");
    // The difference of a hashtable can still come out as a sorted intset.
    assert_eq!(s.run("SDIFF words xs"), "*2\r\n$1\r\n8\r\n$1\r\n9\r\n");
    assert_eq!(s.run("SDIFF a words b"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
    assert_eq!(s.run("SDIFF a b a"), "*0\r\n");
    assert_eq!(s.run("SUNIONSTORE u a b"), ":5\r\n");
    assert_eq!(s.run("SINTERSTORE u a nokey"), ":0\r\n");
    assert!(s.engine.keyspace().peek(b"u").is_none());
}

#[test]
fn smove_between_and_within_sets() {
    let mut s = Session::new();
    s.run("SADD a 1");
    s.run("HSET h f v");
    assert_eq!(s.run("SMOVE nokey h 1"), ":0\r\n");
    assert_eq!(
        s.run("SMOVE a h 1"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    assert_eq!(s.run("SMOVE a a 1"), ":1\r\n");
    assert_eq!(s.run("SMOVE a b 1"), ":1\r\n");
    assert!(s.engine.keyspace().peek(b"a").is_none());
    assert_eq!(s.run("SMEMBERS b"), "*1\r\n$1\r\n1\r\n");
}

/// Which commands make a watcher's EXEC fail, as checked against Redis.
#[test]
fn watchers_see_what_redis_signals() {
    let mut s = Session::new();
    s.run("SADD s 1 2");
    let c = s.client;
    s.engine.db.watch(c, b"s");
    s.engine.db.watch(c, b"dest");
    for noop in [
        "SADD s 1",
        "SREM s 3",
        "SMOVE s s 1",
        "SMOVE s other 3",
        "SINTERSTORE dest nokey s",
    ] {
        s.run(noop);
    }
    assert!(!s.engine.db.is_dirty(c));
    // Storing a set over its own key replaces it: a change, even if equal.
    s.run("SINTERSTORE s s");
    assert!(s.engine.db.is_dirty(c));
}
