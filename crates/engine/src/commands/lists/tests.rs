//! List commands as a redis-cli session would show them, in raw RESP.

use crate::commands::test_session::Session;

#[test]
fn pop_of_a_missing_key_is_nil_or_nil_array() {
    let mut s = Session::new();
    assert_eq!(s.run("LPOP nokey"), "$-1\r\n");
    assert_eq!(s.run("LPOP nokey 1"), "*-1\r\n");
    assert_eq!(s.run("RPOP nokey 0"), "*-1\r\n");
    s.resp3();
    assert_eq!(s.run("LPOP nokey"), "_\r\n");
    assert_eq!(s.run("LPOP nokey 1"), "_\r\n");
}

#[test]
fn pop_with_a_count() {
    let mut s = Session::new();
    s.run("RPUSH l a b c d");
    assert_eq!(s.run("LPOP l 0"), "*0\r\n");
    assert_eq!(s.run("RPOP l 2"), "*2\r\n$1\r\nd\r\n$1\r\nc\r\n");
    assert_eq!(
        s.run("LPOP l -1"),
        "-ERR value is out of range, must be positive\r\n"
    );
    // Redis uses the same message for a count that is not a number at all.
    assert_eq!(
        s.run("LPOP l x"),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(
        s.run("LPOP l 1 2"),
        "-ERR wrong number of arguments for 'lpop' command\r\n"
    );
    assert_eq!(s.run("LPOP l 10"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
    assert!(s.engine.keyspace().peek(b"l").is_none());
}

#[test]
fn lrange_clips_and_counts_from_the_end() {
    let mut s = Session::new();
    s.run("RPUSH l 0 1 2 3 4");
    assert_eq!(s.run("LRANGE l -2 100"), "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
    assert_eq!(s.run("LRANGE l -100 0"), "*1\r\n$1\r\n0\r\n");
    assert_eq!(s.run("LRANGE l 3 1"), "*0\r\n");
    assert_eq!(
        s.run("LRANGE nokey x 1"),
        "-ERR value is not an integer or out of range\r\n"
    );
    // LINDEX looks the key up first: a missing key is nil whatever the index.
    assert_eq!(s.run("LINDEX nokey x"), "$-1\r\n");
    assert_eq!(s.run("LINDEX l -9223372036854775808"), "$-1\r\n");
}

#[test]
fn lrem_direction_follows_the_sign_of_count() {
    let mut s = Session::new();
    s.run("RPUSH l a b a c a");
    assert_eq!(s.run("LREM l -2 a"), ":2\r\n");
    assert_eq!(
        s.run("LRANGE l 0 -1"),
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
    );
    assert_eq!(s.run("LREM l 0 b"), ":1\r\n");
    assert_eq!(s.run("LREM l 1 a"), ":1\r\n");
    assert_eq!(s.run("LREM l 0 c"), ":1\r\n");
    assert!(s.engine.keyspace().peek(b"l").is_none());
}

#[test]
fn lmove_onto_the_same_list_rotates_it() {
    let mut s = Session::new();
    s.run("RPUSH l only");
    assert_eq!(s.run("RPOPLPUSH l l"), "$4\r\nonly\r\n");
    assert_eq!(s.run("LLEN l"), ":1\r\n");
    s.run("RPUSH l next");
    assert_eq!(s.run("LMOVE l l LEFT RIGHT"), "$4\r\nonly\r\n");
    assert_eq!(s.run("LRANGE l 0 -1"), "*2\r\n$4\r\nnext\r\n$4\r\nonly\r\n");
    assert_eq!(s.run("LMOVE l l UP LEFT"), "-ERR syntax error\r\n");
}

#[test]
fn lpos_ranks_counts_and_maxlen() {
    let mut s = Session::new();
    s.run("RPUSH l a b a b a");
    assert_eq!(s.run("LPOS l a RANK -1"), ":4\r\n");
    assert_eq!(s.run("LPOS l a RANK 2 COUNT 0"), "*2\r\n:2\r\n:4\r\n");
    assert_eq!(s.run("LPOS l a COUNT 0 MAXLEN 2"), "*1\r\n:0\r\n");
    assert_eq!(
        s.run("LPOS l a COUNT -1"),
        "-ERR COUNT can't be negative\r\n"
    );
    assert_eq!(s.run("LPOS nokey a COUNT 1"), "*0\r\n");
    // Negating i64::MIN leaves it negative, as in Redis: first match from the tail.
    assert_eq!(s.run("LPOS l a RANK -9223372036854775808"), ":4\r\n");
}

#[test]
fn ltrim_signals_even_when_nothing_goes() {
    let mut s = Session::new();
    s.run("RPUSH l a b");
    let c = s.client;
    s.engine.db.watch(c, b"l");
    assert_eq!(s.run("LTRIM l 0 -1"), "+OK\r\n");
    assert!(s.engine.db.is_dirty(c));
    assert_eq!(s.run("LTRIM l 5 1"), "+OK\r\n");
    assert!(s.engine.keyspace().peek(b"l").is_none());
}

/// Which commands make a watcher's EXEC fail, as checked against Redis:
/// no-ops do not, LTRIM and LSET always do.
#[test]
fn watchers_see_what_redis_signals() {
    let mut s = Session::new();
    s.run("RPUSH l a b");
    let c = s.client;
    s.engine.db.watch(c, b"l");
    for noop in [
        "LPUSHX nokey x",
        "LPOP l 0",
        "LREM l 0 nosuch",
        "LINSERT l BEFORE nosuch x",
    ] {
        s.run(noop);
    }
    assert!(!s.engine.db.is_dirty(c));
    s.run("LSET l 0 a");
    assert!(s.engine.db.is_dirty(c));
}
