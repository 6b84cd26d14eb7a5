//! Random argument vectors through `Engine::execute`: whatever a client
//! sends, the engine answers and never panics, and every reply encodes to
//! well-formed RESP2 and RESP3.
//!
//! Command names come from the engine's own table, so each command family
//! is fuzzed as soon as it is registered. Arguments come from a vocabulary
//! of options, keys, edge-case numbers and random bytes. `PROPTEST_CASES`
//! raises the case count for a longer session (see ../FUZZING.md).

use lockstep_differential::resp::{reply_len, Incomplete};
use lockstep_engine::{commands, encode, Engine, Protocol};
use proptest::prelude::*;

/// Every command name, with the subcommands of container commands.
fn command_words() -> Vec<Vec<Vec<u8>>> {
    let mut words = Vec::new();
    for spec in commands::all() {
        words.push(vec![spec.name.as_bytes().to_vec()]);
        for sub in spec.subcommands {
            words.push(vec![
                spec.name.as_bytes().to_vec(),
                sub.name.as_bytes().to_vec(),
            ]);
        }
    }
    // Names no family registers, for the unknown-command paths.
    words.push(vec![b"nosuchcommand".to_vec()]);
    words.push(vec![b"".to_vec()]);
    words
}

const OPTIONS: &[&str] = &[
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "KEEPTTL",
    "GET",
    "PERSIST",
    "WITHSCORES",
    "WITHSCORE",
    "LIMIT",
    "BYSCORE",
    "BYLEX",
    "REV",
    "COUNT",
    "MATCH",
    "TYPE",
    "ASC",
    "DESC",
    "ALPHA",
    "STORE",
    "BY",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "MIN",
    "MAX",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "RANK",
    "MAXLEN",
    "MINID",
    "NOMKSTREAM",
    "IDLE",
    "TIME",
    "RETRYCOUNT",
    "FORCE",
    "JUSTID",
    "STREAMS",
    "BLOCK",
    "NOACK",
    "GROUP",
    "CONSUMER",
    "ENTRIESREAD",
    "MKSTREAM",
    "REPLACE",
    "ABSTTL",
    "FREQ",
    "DB",
    "KEYS",
    "LEN",
    "IDX",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "NOLOOP",
    "ON",
    "OFF",
    "SKIP",
    "RESET",
    "SETNAME",
    "AUTH",
    "ID",
    "FULL",
    "HELP",
    "string",
    "list",
    "set",
    "zset",
    "hash",
    "stream",
    "*",
    "$",
    ">",
    "+",
    "-",
    "~",
    "=",
    "0-0",
    "1-1",
    "1-*",
    "*",
    "h?llo",
    "[a-",
    "\\",
];

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "7",
    "10",
    "100",
    "-100",
    "1000",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "4294967295",
    "4294967296",
    "2147483647",
    "2147483648",
    "-2147483649",
    "536870911",
    "99999999999999999999",
    "1.5",
    "-1.5",
    "0.0",
    "-0",
    "00",
    "1e3",
    "1e308",
    "1e309",
    "-1e309",
    "1.7976931348623157e308",
    "5e-324",
    "inf",
    "-inf",
    "+inf",
    "INF",
    "nan",
    "NaN",
    "(1",
    "(inf",
    "(-inf",
    "[a",
    "(a",
    " 1",
    "1 ",
    "0x10",
    "",
    "3.0000000000000001",
    "17179869184",
];

const KEYS: &[&str] = &["k", "k2", "{t}a", "{t}b", "", "channel", "s", "h", "z", "l"];

fn argument() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => prop::sample::select(OPTIONS).prop_map(|s| s.as_bytes().to_vec()),
        4 => prop::sample::select(NUMBERS).prop_map(|s| s.as_bytes().to_vec()),
        4 => prop::sample::select(KEYS).prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..12),
    ]
}

/// One command: a name (sometimes upper-cased) and up to 9 arguments.
fn command(words: Vec<Vec<Vec<u8>>>) -> impl Strategy<Value = Vec<Vec<u8>>> {
    (
        prop::sample::select(words),
        any::<bool>(),
        prop::collection::vec(argument(), 0..10),
    )
        .prop_map(|(mut name, upper, args)| {
            if upper {
                name[0].make_ascii_uppercase();
            }
            name.extend(args);
            name
        })
}

/// One step of a session: which of three connections sends what, after how
/// many milliseconds; sometimes a connection drops and comes back.
#[derive(Clone, Debug)]
enum Step {
    Run {
        client: usize,
        after_ms: i64,
        args: Vec<Vec<u8>>,
    },
    Reconnect {
        client: usize,
    },
    ActiveExpire {
        after_ms: i64,
    },
}

fn step(words: Vec<Vec<Vec<u8>>>) -> impl Strategy<Value = Step> {
    prop_oneof![
        20 => (0..3usize, 0..1500i64, command(words))
            .prop_map(|(client, after_ms, args)| Step::Run { client, after_ms, args }),
        1 => (0..3usize).prop_map(|client| Step::Reconnect { client }),
        1 => (0..2000i64).prop_map(|after_ms| Step::ActiveExpire { after_ms }),
    ]
}

/// Whether `bytes` is a sequence of complete, well-formed RESP replies.
fn well_formed(mut bytes: &[u8]) -> Result<(), Incomplete> {
    while !bytes.is_empty() {
        let n = reply_len(bytes)?;
        bytes = &bytes[n..];
    }
    Ok(())
}

proptest! {
    #[test]
    fn random_commands_never_panic(steps in prop::collection::vec(step(command_words()), 1..40)) {
        let mut now = 1_700_000_000_000i64;
        let mut engine = Engine::new(now);
        let mut clients: Vec<_> = (0..3).map(|i| engine.connect(&format!("127.0.0.1:{}", 40000 + i), now)).collect();
        for step in steps {
            match step {
                Step::Run { client, after_ms, args } => {
                    now += after_ms;
                    let id = clients[client];
                    let outcome = engine.execute(id, &args, now);
                    let protocol = engine.protocol(id);
                    let mut bytes = Vec::new();
                    for push in engine.take_pushes(id) {
                        encode::encode(&push, protocol, &mut bytes);
                    }
                    encode::encode(&outcome.reply, protocol, &mut bytes);
                    prop_assert!(well_formed(&bytes).is_ok(), "{:?} gave malformed {:?}", args, String::from_utf8_lossy(&bytes));
                    let other = if protocol == Protocol::Resp2 { Protocol::Resp3 } else { Protocol::Resp2 };
                    prop_assert!(well_formed(&encode::to_bytes(&outcome.reply, other)).is_ok());
                    if outcome.close {
                        engine.disconnect(id);
                        clients[client] = engine.connect("127.0.0.1:40010", now);
                    }
                }
                Step::Reconnect { client } => {
                    engine.disconnect(clients[client]);
                    clients[client] = engine.connect("127.0.0.1:40011", now);
                }
                Step::ActiveExpire { after_ms } => {
                    now += after_ms;
                    engine.active_expire(now);
                }
            }
            for &id in &clients {
                engine.take_pushes(id);
            }
        }
    }
}
