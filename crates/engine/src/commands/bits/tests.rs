//! Bitmap commands as a redis-cli session would show them, in raw RESP.

use crate::commands::test_session::{session, Session};

#[test]
fn setbit_grows_and_getbit_reads() {
    let mut s = Session::new();
    session!(s,
        "SETBIT k 7 1" => ":0\r\n",
        "GET k" => "$1\r\n\x01\r\n",
        "SETBIT k 7 1" => ":1\r\n",
        "SETBIT k 0 1" => ":0\r\n",
        "BITCOUNT k" => ":2\r\n",
        "GETBIT k 0" => ":1\r\n",
        "GETBIT k 1" => ":0\r\n",
        "GETBIT k 100" => ":0\r\n",
        "SETBIT k 15 1" => ":0\r\n",
        "STRLEN k" => ":2\r\n",
        "SETBIT k -1 1" => "-ERR bit offset is not an integer or out of range\r\n",
        "SETBIT k 4294967296 1" => "-ERR bit offset is not an integer or out of range\r\n",
        "SETBIT k 1 2" => "-ERR bit is not an integer or out of range\r\n",
        "GETBIT nokey 3" => ":0\r\n",
    );
}

#[test]
fn bitcount_and_bitpos_ranges() {
    let mut s = Session::new();
    session!(s,
        "SET k foobar" => "+OK\r\n",
        "BITCOUNT k" => ":26\r\n",
        "BITCOUNT k 0 0" => ":4\r\n",
        "BITCOUNT k 1 1" => ":6\r\n",
        "BITCOUNT k 1 1 BYTE" => ":6\r\n",
        "BITCOUNT k 5 30 BIT" => ":17\r\n",
        "BITCOUNT k -1 -2" => ":0\r\n",
        "BITCOUNT k 0" => "-ERR syntax error\r\n",
        "BITCOUNT nokey 0" => ":0\r\n",
        "BITCOUNT k 0 1 WORD" => "-ERR syntax error\r\n",
    );
    // "\xff\xf0\x00" as bytes.
    s.engine.keyspace_mut().set(
        b"p",
        crate::value::Value::String(vec![0xff, 0xf0, 0x00]),
        false,
    );
    session!(s,
        "BITPOS p 0" => ":12\r\n",
        "BITPOS p 1 2" => ":-1\r\n",
        "BITPOS p 0 2 -1 BYTE" => ":16\r\n",
        "BITPOS p 1 7 15 BIT" => ":7\r\n",
        "BITPOS p 2" => "-ERR The bit argument must be 1 or 0.\r\n",
        "BITPOS nokey 0" => ":0\r\n",
        "BITPOS nokey 1" => ":-1\r\n",
    );
    s.engine.keyspace_mut().set(
        b"ones",
        crate::value::Value::String(vec![0xff, 0xff]),
        false,
    );
    session!(s,
        "BITPOS ones 0" => ":16\r\n",
        "BITPOS ones 0 0 -1" => ":-1\r\n",
    );
}

#[test]
fn bitop_pads_and_deletes_empty_results() {
    let mut s = Session::new();
    session!(s,
        "SET a abc" => "+OK\r\n",
        "SET b a" => "+OK\r\n",
        "BITOP AND dest a b" => ":3\r\n",
        "GET dest" => "$3\r\na\0\0\r\n",
        "BITOP OR dest a nokey" => ":3\r\n",
        "GET dest" => "$3\r\nabc\r\n",
        "BITOP NOT dest a b" => "-ERR BITOP NOT must be called with a single source key.\r\n",
        "BITOP NAND dest a b" => "-ERR syntax error\r\n",
        "BITOP XOR dest nokey other" => ":0\r\n",
        "EXISTS dest" => ":0\r\n",
    );
}

#[test]
fn bitfield_overflow_rules() {
    let mut s = Session::new();
    session!(s,
        "BITFIELD k SET i8 0 100 GET i8 0" => "*2\r\n:0\r\n:100\r\n",
        "BITFIELD k INCRBY i8 0 100" => "*1\r\n:-56\r\n",
        "BITFIELD k OVERFLOW SAT INCRBY i8 0 -100" => "*1\r\n:-128\r\n",
        "BITFIELD k OVERFLOW FAIL INCRBY i8 0 -1" => "*1\r\n$-1\r\n",
        "BITFIELD k GET u8 0" => "*1\r\n:128\r\n",
        "BITFIELD k SET u2 #1 7" => "*1\r\n:0\r\n",
        "BITFIELD k GET u2 #1" => "*1\r\n:3\r\n",
        "BITFIELD k GET u64 0" => "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n",
        "BITFIELD k OVERFLOW NOPE" => "-ERR Invalid OVERFLOW type specified\r\n",
        "BITFIELD k GET i8" => "-ERR syntax error\r\n",
        "BITFIELD k" => "*0\r\n",
        "BITFIELD_RO k GET i8 0" => "*1\r\n:-80\r\n",
        "BITFIELD_RO k SET i8 0 1" => "-ERR BITFIELD_RO only supports the GET subcommand\r\n",
        "BITFIELD k SET i64 0 -1 GET i64 0 GET u63 1" => "*3\r\n:-5764607523034234880\r\n:-1\r\n:9223372036854775807\r\n",
        "BITFIELD k INCRBY i64 0 -9223372036854775808" => "*1\r\n:9223372036854775807\r\n",
    );
}
