//! Hash commands as a redis-cli session would show them, in raw RESP.

use crate::commands::test_session::Session;

#[test]
fn hset_counts_new_fields_and_keeps_positions() {
    let mut s = Session::new();
    assert_eq!(s.run("HSET h a 1 b 2 c 3"), ":3\r\n");
    assert_eq!(s.run("HSET h a 10 d 4"), ":1\r\n");
    assert_eq!(
        s.run("HKEYS h"),
        "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
    );
    assert_eq!(s.run("HGET h a"), "$2\r\n10\r\n");
    assert_eq!(
        s.run("HSET h a 1 b"),
        "-ERR wrong number of arguments for 'hset' command\r\n"
    );
    assert_eq!(
        s.run("HMSET h a"),
        "-ERR wrong number of arguments for 'hmset' command\r\n"
    );
    assert_eq!(s.run("HMSET h e 5"), "+OK\r\n");
}

#[test]
fn hdel_keeps_the_order_of_the_rest_and_drops_an_empty_key() {
    let mut s = Session::new();
    s.run("HSET h a 1 b 2 c 3 d 4");
    assert_eq!(s.run("HDEL h b nosuch"), ":1\r\n");
    assert_eq!(s.run("HKEYS h"), "*3\r\n$1\r\na\r\n$1\r\nc\r\n$1\r\nd\r\n");
    assert_eq!(s.run("HDEL h a c d"), ":3\r\n");
    assert!(s.engine.keyspace().peek(b"h").is_none());
    assert_eq!(s.run("HGETALL h"), "*0\r\n");
}

#[test]
fn hincrby_checks_the_increment_first_then_overflow() {
    let mut s = Session::new();
    s.run("RPUSH list x");
    // The increment is parsed before the key is even looked at.
    assert_eq!(
        s.run("HINCRBY list f x"),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        s.run("HINCRBY list f 1"),
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
    );
    s.run("HSET h n 9223372036854775806 t text");
    assert_eq!(s.run("HINCRBY h n 1"), ":9223372036854775807\r\n");
    assert_eq!(
        s.run("HINCRBY h n 1"),
        "-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(
        s.run("HINCRBY h t 1"),
        "-ERR hash value is not an integer\r\n"
    );
    assert_eq!(s.run("HINCRBY h new -3"), ":-3\r\n");
}

#[test]
fn hincrbyfloat_adds_in_long_double() {
    let mut s = Session::new();
    assert_eq!(s.run("HINCRBYFLOAT h x 10.5"), "$4\r\n10.5\r\n");
    assert_eq!(s.run("HINCRBYFLOAT h x 0.1"), "$4\r\n10.6\r\n");
    assert_eq!(s.run("HINCRBYFLOAT h x -10.6"), "$1\r\n0\r\n");
    assert_eq!(
        s.run("HINCRBYFLOAT h x inf"),
        "-ERR value is NaN or Infinity\r\n"
    );
    assert_eq!(
        s.run("HINCRBYFLOAT h x nan"),
        "-ERR value is not a valid float\r\n"
    );
    s.run("HSET h t text m 1.1e4932");
    assert_eq!(
        s.run("HINCRBYFLOAT h t 1"),
        "-ERR hash value is not a float\r\n"
    );
    assert_eq!(
        s.run("HINCRBYFLOAT h m 1.1e4932"),
        "-ERR increment would produce NaN or Infinity\r\n"
    );
}

#[test]
fn resp3_replies() {
    let mut s = Session::new();
    s.resp3();
    s.run("HSET h a 1");
    assert_eq!(s.run("HGETALL h"), "%1\r\n$1\r\na\r\n$1\r\n1\r\n");
    assert_eq!(s.run("HGETALL nokey"), "%0\r\n");
    assert_eq!(s.run("HMGET h a b"), "*2\r\n$1\r\n1\r\n_\r\n");
    assert_eq!(s.run("HEXISTS h a"), ":1\r\n");
}

/// Which commands make a watcher's EXEC fail, as checked against Redis:
/// HSET of an unchanged value and HINCRBY by 0 still count as changes.
#[test]
fn watchers_see_what_redis_signals() {
    let mut s = Session::new();
    s.run("HSET h a 1");
    let c = s.client;
    s.engine.db.watch(c, b"h");
    s.run("HSETNX h a 2");
    s.run("HDEL h nosuch");
    assert!(!s.engine.db.is_dirty(c));
    s.run("HINCRBY h a 0");
    assert!(s.engine.db.is_dirty(c));
}
