//! Stream sessions, written like redis-cli transcripts.

use crate::commands::test_session::Session;
use crate::Reply;

fn bulk(s: &str) -> Reply {
    Reply::bulk(s)
}

fn entry(id: &str, fields: &[&str]) -> Reply {
    Reply::Array(vec![
        bulk(id),
        Reply::Array(fields.iter().map(|f| bulk(f)).collect()),
    ])
}

fn err(text: &str) -> Reply {
    Reply::error(text)
}

#[test]
fn xadd_explicit_and_automatic_ids() {
    let mut s = Session::at(1_000);
    assert_eq!(s.reply("XADD s 5-1 a 1"), bulk("5-1"));
    assert_eq!(s.reply("XADD s 5-* a 2"), bulk("5-2"));
    assert_eq!(s.reply("XADD s 7-* a 3"), bulk("7-0"));
    assert_eq!(
        s.reply("XADD s 7-0 a 4"),
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
    );
    assert_eq!(
        s.reply("XADD s 0-0 a 4"),
        err("ERR The ID specified in XADD must be greater than 0-0")
    );
    assert_eq!(
        s.reply("XADD s x-1 a 4"),
        err("ERR Invalid stream ID specified as stream command argument")
    );
    // A clock behind the last ID never makes IDs go back.
    s.now_ms = 5;
    assert_eq!(s.reply("XADD s * a 5"), bulk("7-1"));
    s.now_ms = 9_000;
    assert_eq!(s.reply("XADD s * a 6"), bulk("9000-0"));
    assert_eq!(s.reply("XADD s * a 7"), bulk("9000-1"));
    assert_eq!(s.reply("XLEN s"), Reply::Integer(6));
    assert_eq!(
        s.reply("XADD s a 1"),
        err("ERR wrong number of arguments for 'xadd' command")
    );
    assert_eq!(
        s.reply("XADD s * a"),
        err("ERR wrong number of arguments for 'xadd' command")
    );
    assert_eq!(s.reply("XADD nope NOMKSTREAM * a 1"), Reply::Null);
    assert_eq!(s.reply("XLEN nope"), Reply::Integer(0));
}

#[test]
fn xadd_trims_exactly_or_by_whole_nodes() {
    let mut s = Session::at(1_000);
    for i in 1..=5 {
        s.reply(&format!("XADD s {i}-0 f v"));
    }
    assert_eq!(s.reply("XADD s MAXLEN 3 6-0 f v"), bulk("6-0"));
    assert_eq!(s.reply("XLEN s"), Reply::Integer(3));
    // Small streams live in one node: `~` trims nothing.
    assert_eq!(s.reply("XADD s MAXLEN ~ 1 7-0 f v"), bulk("7-0"));
    assert_eq!(s.reply("XLEN s"), Reply::Integer(4));
    assert_eq!(s.reply("XTRIM s MINID 6"), Reply::Integer(2));
    assert_eq!(s.reply("XTRIM s MAXLEN 0"), Reply::Integer(2));
    assert_eq!(s.reply("XLEN s"), Reply::Integer(0));
    assert_eq!(
        s.reply("XTRIM s MAXLEN 1 LIMIT 10"),
        err("ERR syntax error, LIMIT cannot be used without the special ~ option")
    );
    assert_eq!(
        s.reply("XTRIM s LIMIT 10"),
        err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
    );
    assert_eq!(
        s.reply("XTRIM s MAXLEN -1"),
        err("ERR The MAXLEN argument must be >= 0.")
    );
    assert_eq!(
        s.reply("XADD s MAXLEN 1 MINID 1 * f v"),
        err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
    );
}

#[test]
fn xrange_bounds_counts_and_exclusive_ids() {
    let mut s = Session::at(1_000);
    for id in ["1-0", "1-1", "2-0", "3-5"] {
        s.reply(&format!("XADD s {id} k {id}"));
    }
    assert_eq!(
        s.reply("XRANGE s - + COUNT 2"),
        Reply::Array(vec![
            entry("1-0", &["k", "1-0"]),
            entry("1-1", &["k", "1-1"])
        ])
    );
    assert_eq!(
        s.reply("XRANGE s 1 1"),
        s.reply("XRANGE s 1-0 1-18446744073709551615")
    );
    assert_eq!(
        s.reply("XRANGE s (1-1 +"),
        Reply::Array(vec![
            entry("2-0", &["k", "2-0"]),
            entry("3-5", &["k", "3-5"])
        ])
    );
    assert_eq!(
        s.reply("XREVRANGE s + - COUNT 1"),
        Reply::Array(vec![entry("3-5", &["k", "3-5"])])
    );
    assert_eq!(s.reply("XRANGE s - + COUNT 0"), Reply::NullArray);
    assert_eq!(s.reply("XRANGE nope - + COUNT 0"), Reply::Array(vec![]));
    assert_eq!(
        s.reply("XRANGE s (- +"),
        err("ERR Invalid stream ID specified as stream command argument")
    );
    assert_eq!(
        s.reply("XRANGE s (18446744073709551615-18446744073709551615 +"),
        err("ERR invalid start ID for the interval")
    );
    assert_eq!(
        s.reply("XRANGE s - (0-0"),
        err("ERR invalid end ID for the interval")
    );
    assert_eq!(s.reply("XRANGE s - + LIMIT 1"), err("ERR syntax error"));
    s.reply("SET str x");
}

#[test]
fn xread_in_both_protocols() {
    let mut s = Session::at(1_000);
    s.reply("XADD a 1-0 f 1");
    s.reply("XADD b 2-0 g 2");
    assert_eq!(
        s.run("XREAD COUNT 1 STREAMS a b 0 $"),
        "*1\r\n*2\r\n$1\r\na\r\n*1\r\n*2\r\n$3\r\n1-0\r\n*2\r\n$1\r\nf\r\n$1\r\n1\r\n"
    );
    assert_eq!(s.reply("XREAD STREAMS a b $ $"), Reply::NullArray);
    // With nothing to read, BLOCK blocks (`crate::blocking`'s tests) until
    // its timeout.
    assert_eq!(
        s.reply("XREAD BLOCK 10 STREAMS a $"),
        Reply::Many(Vec::new())
    );
    let timed_out = s.engine.unblock_timed_out(i64::MAX);
    assert_eq!(timed_out.len(), 1);
    assert_eq!(timed_out[0].reply, Reply::NullArray);
    assert_eq!(
        s.reply("XREAD BLOCK -1 STREAMS a $"),
        err("ERR timeout is negative")
    );
    assert_eq!(
        s.reply("XREAD STREAMS a b c"),
        err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
    );
    s.resp3();
    assert_eq!(
        s.run("XREAD STREAMS b 0"),
        "%1\r\n$1\r\nb\r\n*1\r\n*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\ng\r\n$1\r\n2\r\n"
    );
    assert_eq!(s.run("XREAD STREAMS b 2"), "_\r\n");
}

#[test]
fn consumer_group_delivery_ack_and_history() {
    let mut s = Session::at(1_000);
    assert_eq!(
        s.reply("XGROUP CREATE s g $"),
        err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
    );
    assert_eq!(s.reply("XGROUP CREATE s g $ MKSTREAM"), Reply::ok());
    assert_eq!(
        s.reply("XGROUP CREATE s g $"),
        err("BUSYGROUP Consumer Group name already exists")
    );
    s.reply("XADD s 1-0 f a");
    s.reply("XADD s 2-0 f b");
    assert_eq!(
        s.reply("XREADGROUP GROUP g alice COUNT 1 STREAMS s >"),
        Reply::Array(vec![Reply::Array(vec![
            bulk("s"),
            Reply::Array(vec![entry("1-0", &["f", "a"])])
        ])])
    );
    assert_eq!(
        s.reply("XREADGROUP GROUP g bob STREAMS s >"),
        Reply::Array(vec![Reply::Array(vec![
            bulk("s"),
            Reply::Array(vec![entry("2-0", &["f", "b"])])
        ])])
    );
    assert_eq!(
        s.reply("XREADGROUP GROUP g bob STREAMS s >"),
        Reply::NullArray
    );
    assert_eq!(
        s.reply("XPENDING s g"),
        Reply::Array(vec![
            Reply::Integer(2),
            bulk("1-0"),
            bulk("2-0"),
            Reply::Array(vec![
                Reply::Array(vec![bulk("alice"), bulk("1")]),
                Reply::Array(vec![bulk("bob"), bulk("1")]),
            ]),
        ])
    );
    // History: alice's own pending entries, each delivery counted.
    assert_eq!(
        s.reply("XREADGROUP GROUP g alice STREAMS s 0"),
        Reply::Array(vec![Reply::Array(vec![
            bulk("s"),
            Reply::Array(vec![entry("1-0", &["f", "a"])])
        ])])
    );
    s.now_ms += 50;
    assert_eq!(
        s.reply("XPENDING s g - + 10"),
        Reply::Array(vec![
            Reply::Array(vec![
                bulk("1-0"),
                bulk("alice"),
                Reply::Integer(50),
                Reply::Integer(2)
            ]),
            Reply::Array(vec![
                bulk("2-0"),
                bulk("bob"),
                Reply::Integer(50),
                Reply::Integer(1)
            ]),
        ])
    );
    assert_eq!(s.reply("XACK s g 1-0 1-0 9-9"), Reply::Integer(1));
    assert_eq!(s.reply("XDEL s 2-0"), Reply::Integer(1));
    assert_eq!(
        s.reply("XREADGROUP GROUP g bob STREAMS s 0"),
        Reply::Array(vec![Reply::Array(vec![
            bulk("s"),
            Reply::Array(vec![Reply::Array(vec![bulk("2-0"), Reply::NullArray])]),
        ])])
    );
    assert_eq!(
        s.reply("XREADGROUP GROUP nope c STREAMS s >"),
        err("NOGROUP No such key 's' or consumer group 'nope' in XREADGROUP with GROUP option")
    );
    assert_eq!(s.reply("XGROUP DELCONSUMER s g bob"), Reply::Integer(1));
    assert_eq!(s.reply("XGROUP DESTROY s g"), Reply::Integer(1));
    assert_eq!(s.reply("XGROUP DESTROY s g"), Reply::Integer(0));
}

#[test]
fn xclaim_and_xautoclaim_move_ownership() {
    let mut s = Session::at(1_000);
    s.reply("XGROUP CREATE s g 0 MKSTREAM");
    for i in 1..=4 {
        s.reply(&format!("XADD s {i}-0 n {i}"));
    }
    s.reply("XREADGROUP GROUP g alice STREAMS s >");
    s.now_ms += 100;
    // Not idle long enough for 1-0; 9-0 is not pending.
    assert_eq!(s.reply("XCLAIM s g bob 200 1-0 9-0"), Reply::Array(vec![]));
    assert_eq!(
        s.reply("XCLAIM s g bob 50 1-0 JUSTID"),
        Reply::Array(vec![bulk("1-0")])
    );
    assert_eq!(s.reply("XDEL s 3-0"), Reply::Integer(1));
    assert_eq!(
        s.reply("XAUTOCLAIM s g carol 0 0 COUNT 2"),
        Reply::Array(vec![
            bulk("3-0"),
            Reply::Array(vec![entry("1-0", &["n", "1"]), entry("2-0", &["n", "2"])]),
            Reply::Array(vec![]),
        ])
    );
    assert_eq!(
        s.reply("XAUTOCLAIM s g carol 0 3-0 JUSTID"),
        Reply::Array(vec![
            bulk("0-0"),
            Reply::Array(vec![bulk("4-0")]),
            Reply::Array(vec![bulk("3-0")])
        ])
    );
    assert_eq!(
        s.reply("XPENDING s g - + 10 carol"),
        Reply::Array(vec![
            Reply::Array(vec![
                bulk("1-0"),
                bulk("carol"),
                Reply::Integer(0),
                Reply::Integer(2)
            ]),
            Reply::Array(vec![
                bulk("2-0"),
                bulk("carol"),
                Reply::Integer(0),
                Reply::Integer(2)
            ]),
            Reply::Array(vec![
                bulk("4-0"),
                bulk("carol"),
                Reply::Integer(0),
                Reply::Integer(1)
            ]),
        ])
    );
    assert_eq!(
        s.reply("XAUTOCLAIM s g c 0 0 COUNT 0"),
        err("ERR COUNT must be > 0")
    );
    assert_eq!(
        s.reply("XCLAIM s g c 0 1-0 BOGUS"),
        err("ERR Unrecognized XCLAIM option 'BOGUS'")
    );
    assert_eq!(
        s.reply("XCLAIM s nope c 0 1-0"),
        err("NOGROUP No such key 's' or consumer group 'nope'")
    );
}

#[test]
fn xread_keys_follow_streams() {
    let args =
        |line: &str| -> Vec<Vec<u8>> { line.split(' ').map(|w| w.as_bytes().to_vec()).collect() };
    let keys = super::read_key_positions;
    assert_eq!(keys(&args("XREAD COUNT 2 STREAMS a b 0 0")), vec![4, 5]);
    assert_eq!(
        keys(&args(
            "XREADGROUP GROUP streams c NOACK BLOCK 5 STREAMS streams 0"
        )),
        vec![8]
    );
    assert_eq!(keys(&args("XREAD STREAMS a b 0")), Vec::<usize>::new());
    assert_eq!(keys(&args("XREAD BOGUS STREAMS a 0")), Vec::<usize>::new());
}

#[test]
fn wrong_type_everywhere() {
    let mut s = Session::at(1_000);
    s.engine
        .keyspace_mut()
        .set(b"str", crate::value::Value::String(b"x".to_vec()), false);
    let wrongtype = Reply::wrong_type();
    for line in [
        "XADD str * a 1",
        "XLEN str",
        "XRANGE str - +",
        "XDEL str 1-0",
        "XTRIM str MAXLEN 1",
        "XREAD STREAMS str 0",
        "XGROUP CREATE str g $",
        "XACK str g 1-0",
        "XPENDING str g",
        "XINFO STREAM str",
    ] {
        assert_eq!(s.reply(line), wrongtype, "{line}");
    }
}
