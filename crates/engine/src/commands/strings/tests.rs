//! String commands as redis-cli sessions.

use crate::commands::test_session::{session, Session, NOW_MS};

#[test]
fn set_checks_options_then_expire_then_type_then_nx() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "SET k v EX 10 PX 10" => "-ERR syntax error\r\n",
        "SET k v KEEPTTL EX 10" => "-ERR syntax error\r\n",
        "SET k v EX" => "-ERR syntax error\r\n",
        "SET k v EX 0" => "-ERR invalid expire time in 'set' command\r\n",
        "SET k v EX 9223372036854775" => "-ERR invalid expire time in 'set' command\r\n",
        "SET k v EXAT 9223372036854775" => "+OK\r\n",
        "SET k v EX x" => "-ERR value is not an integer or out of range\r\n",
        "SET k v EX 10 EX 20" => "+OK\r\n",
        "TTL k" => ":20\r\n",
        // Redis 7.0 accepts NX with GET: the old value comes back either way.
        "SET k v2 NX GET" => "$1\r\nv\r\n",
        "SET n v NX GET" => "$-1\r\n",
        "GET n" => "$1\r\nv\r\n",
        "SET k v3 KEEPTTL GET" => "$1\r\nv\r\n",
        "TTL k" => ":20\r\n",
        "SET k v4" => "+OK\r\n",
        "TTL k" => ":-1\r\n",
    );
}

#[test]
fn getex_reports_a_missing_key_before_a_bad_time() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "GETEX missing EX 0" => "$-1\r\n",
        "SET k v" => "+OK\r\n",
        "GETEX k EX 0" => "-ERR invalid expire time in 'getex' command\r\n",
        "GETEX k PERSIST EX 1" => "-ERR syntax error\r\n",
        "GETEX k PX 1500" => "$1\r\nv\r\n",
        "TTL k" => ":2\r\n",
        "GETEX k PERSIST" => "$1\r\nv\r\n",
        "TTL k" => ":-1\r\n",
        "GETEX k PXAT 1" => "$1\r\nv\r\n",
        "EXISTS k" => ":0\r\n",
    );
}

#[test]
fn counters_overflow_and_parse_strictly() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "INCRBY n 9223372036854775807" => ":9223372036854775807\r\n",
        "INCR n" => "-ERR increment or decrement would overflow\r\n",
        "DECRBY n -9223372036854775808" => "-ERR decrement would overflow\r\n",
        "SET n 010" => "+OK\r\n",
        "INCR n" => "-ERR value is not an integer or out of range\r\n",
        "SETEX c 100 41" => "+OK\r\n",
        "INCR c" => ":42\r\n",
        "TTL c" => ":100\r\n",
    );
}

#[test]
fn incrbyfloat_prints_like_long_double() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "INCRBYFLOAT f 10.5" => "$4\r\n10.5\r\n",
        "INCRBYFLOAT f 0.1" => "$4\r\n10.6\r\n",
        "INCRBYFLOAT f 3.0e3" => "$22\r\n3010.60000000000000009\r\n",
        "INCRBYFLOAT f inf" => "-ERR increment would produce NaN or Infinity\r\n",
        "INCRBYFLOAT f nan" => "-ERR value is not a valid float\r\n",
        "INCRBYFLOAT g 0x10" => "$2\r\n16\r\n",
        "INCRBYFLOAT g -16" => "$1\r\n0\r\n",
        "SET h 1e" => "+OK\r\n",
        "INCRBYFLOAT h 1" => "-ERR value is not a valid float\r\n",
    );
}

#[test]
fn ranges_follow_getrange_and_setrange_rules() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "SET s Hello" => "+OK\r\n",
        "GETRANGE s -3 -1" => "$3\r\nllo\r\n",
        "GETRANGE s -1 -3" => "$0\r\n\r\n",
        "GETRANGE s 1 100" => "$4\r\nello\r\n",
        "SETRANGE s 7 !" => ":8\r\n",
        "GET s" => "$8\r\nHello\0\0!\r\n",
        "SETRANGE s -1 x" => "-ERR offset is out of range\r\n",
        "SETRANGE s 536870912 x" => "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n",
        "SETRANGE none 5 " => ":0\r\n",
        "EXISTS none" => ":0\r\n",
    );
}

#[test]
fn mget_hides_other_types_and_mset_checks_pairs() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "MSET a 1 b" => "-ERR wrong number of arguments for 'mset' command\r\n",
        "MSET a 1 b 2" => "+OK\r\n",
        "MSETNX b 3 c 4" => ":0\r\n",
        "MGET a b c" => "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n",
    );
}

#[test]
fn lcs_reports_ranges_from_the_end() {
    let mut s = Session::at(NOW_MS);
    session!(s,
        "MSET a ohmytext b mynewtext" => "+OK\r\n",
        "LCS a b" => "$6\r\nmytext\r\n",
        "LCS a b LEN" => ":6\r\n",
        "LCS a b IDX MINMATCHLEN 4 WITHMATCHLEN" => "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
        "LCS a b LEN IDX" => "-ERR If you want both the length and indexes, please just use IDX.\r\n",
        "RPUSH l x" => ":1\r\n",
        "LCS a l FOO" => "-ERR The specified keys must contain string values\r\n",
    );
}
