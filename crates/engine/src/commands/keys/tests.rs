//! Keyspace commands as redis-cli sessions, with the clock under control.

use crate::commands::test_session::{session, Session, NOW_MS};

#[test]
fn ttl_rounds_to_the_nearest_second() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "SET k v" => "+OK\r\n",
        "PEXPIRE k 1499" => ":1\r\n",
        "TTL k" => ":1\r\n",
    );
    session!(s,
        "PEXPIRE k 1500" => ":1\r\n",
        "TTL k" => ":2\r\n",
        "PTTL k" => ":1500\r\n",
    );
    s.now_ms += 1499;
    session!(s,
        "TTL k" => ":0\r\n",
        "PTTL k" => ":1\r\n",
    );
    // A key lives through the millisecond it expires at, as in Redis.
    s.now_ms += 1;
    session!(s, "PTTL k" => ":0\r\n");
    s.now_ms += 1;
    session!(s,
        "TTL k" => ":-2\r\n",
        "PTTL k" => ":-2\r\n",
        "EXISTS k" => ":0\r\n",
    );
}

#[test]
fn gt_and_lt_treat_no_ttl_as_infinite() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "SET k v" => "+OK\r\n",
        "EXPIRE k 100 GT" => ":0\r\n",
        "TTL k" => ":-1\r\n",
        "EXPIRE k 100 LT" => ":1\r\n",
        "EXPIRE k 200 LT" => ":0\r\n",
        "EXPIRE k 200 GT" => ":1\r\n",
        "TTL k" => ":200\r\n",
        "EXPIRE k 10 NX" => ":0\r\n",
        "EXPIRE k 10 XX" => ":1\r\n",
        "EXPIRE k 10 NX GT" => "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n",
        "EXPIRE k 10 GT LT" => "-ERR GT and LT options at the same time are not compatible\r\n",
        "EXPIRE k 10 FOO" => "-ERR Unsupported option FOO\r\n",
    );
}

#[test]
fn past_times_delete_and_overflow_is_refused() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "SET k v" => "+OK\r\n",
        "EXPIRE k -1" => ":1\r\n",
        "EXISTS k" => ":0\r\n",
        "SET k v" => "+OK\r\n",
        "EXPIRE k 9223372036854776" => "-ERR invalid expire time in 'expire' command\r\n",
        "PEXPIRE k 9223372036854775807" => "-ERR invalid expire time in 'pexpire' command\r\n",
        "PEXPIREAT k 9223372036854775807" => ":1\r\n",
        "PEXPIRETIME k" => ":9223372036854775807\r\n",
        "EXPIRE missing 10" => ":0\r\n",
    );
}

#[test]
fn rename_carries_the_ttl_and_checks_the_source() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "RENAME a a" => "-ERR no such key\r\n",
        "SET a 1 EX 100" => "+OK\r\n",
        "RENAME a a" => "+OK\r\n",
        "SET b 2" => "+OK\r\n",
        "RENAMENX a b" => ":0\r\n",
        "RENAME a b" => "+OK\r\n",
        "TTL b" => ":100\r\n",
        "EXISTS a b b" => ":2\r\n",
    );
}

#[test]
fn keys_skips_expired_keys_without_deleting_them() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "MSET hello 1 hallo 2 hxllo 3" => "+OK\r\n",
        "PEXPIRE hxllo 10" => ":1\r\n",
    );
    s.now_ms += 11;
    session!(s,
        "KEYS h[^e]llo" => "*1\r\n$5\r\nhallo\r\n",
        "DBSIZE" => ":3\r\n",
        "SCAN 0 MATCH hx*" => "*2\r\n$1\r\n0\r\n*0\r\n",
        "DBSIZE" => ":2\r\n",
    );
}

#[test]
fn scan_arguments_are_checked_like_redis() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "SET only 1" => "+OK\r\n",
        "SCAN -1" => "*2\r\n$1\r\n0\r\n*0\r\n",
        "SCAN 0 TYPE STRING" => "*2\r\n$1\r\n0\r\n*1\r\n$4\r\nonly\r\n",
        "SCAN x" => "-ERR invalid cursor\r\n",
        "SCAN 18446744073709551616" => "-ERR invalid cursor\r\n",
        "SCAN 0 COUNT 0" => "-ERR syntax error\r\n",
        "SCAN 0 COUNT x" => "-ERR value is not an integer or out of range\r\n",
        "SCAN 0 MATCH" => "-ERR syntax error\r\n",
    );
}

#[test]
fn databases_are_separate_and_flushall_empties_them_all() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "SET k zero" => "+OK\r\n",
        "SELECT 1" => "+OK\r\n",
        "GET k" => "$-1\r\n",
        "SET k one EX 100" => "+OK\r\n",
        "MOVE k 0" => ":0\r\n",
        "MOVE k 2" => ":1\r\n",
        "SELECT 2" => "+OK\r\n",
        "TTL k" => ":100\r\n",
        "COPY k k DB 0 REPLACE" => ":1\r\n",
        "FLUSHDB" => "+OK\r\n",
        "SELECT 0" => "+OK\r\n",
        "GET k" => "$3\r\none\r\n",
        "SELECT 16" => "-ERR DB index is out of range\r\n",
        "SELECT x" => "-ERR value is not an integer or out of range\r\n",
        "SELECT 2147483648" => "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n",
        "MOVE k 0" => "-ERR source and destination objects are the same\r\n",
        "SELECT 3" => "+OK\r\n",
        "SET other v" => "+OK\r\n",
        "FLUSHALL" => "+OK\r\n",
        "DBSIZE" => ":0\r\n",
        "SELECT 0" => "+OK\r\n",
        "DBSIZE" => ":0\r\n",
    );
}

#[test]
fn randomkey_is_deterministic_and_skips_expired_keys() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "RANDOMKEY" => "$-1\r\n",
        "SET a 1 PX 5" => "+OK\r\n",
        "SET b 2" => "+OK\r\n",
    );
    s.now_ms += 6;
    for _ in 0..5 {
        assert_eq!(s.run("RANDOMKEY"), "$1\r\nb\r\n");
    }
    assert_eq!(s.run("DBSIZE"), ":1\r\n");
}

#[test]
fn watched_keys_are_touched_by_expire_and_persist() {
    let mut s = Session::at(NOW_MS);
    s.run("SET k v");
    let id = s.client;
    s.engine.keyspace_mut().watch(id, b"k");
    s.run("TTL k");
    assert!(!s.engine.keyspace().is_dirty(id));
    s.run("EXPIRE k 100");
    assert!(s.engine.keyspace().is_dirty(id));
}
