//! The suite's reply reader against the engine's encoder: every reply the
//! engine can encode, in RESP2 and RESP3, is one complete reply of exactly
//! its length, no strict prefix of it is, and arbitrary bytes never make
//! the reader (or the `@unordered` normaliser) panic.

use lockstep_differential::resp::{normalise, reply_len, Incomplete};
use lockstep_differential::script::Order;
use lockstep_engine::{encode, Protocol, Reply};
use proptest::prelude::*;

fn reply() -> impl Strategy<Value = Reply> {
    let leaf = prop_oneof![
        "[a-zA-Z0-9 ]{0,12}".prop_map(Reply::Status),
        "[A-Z]{1,4} [a-z ]{0,12}".prop_map(Reply::Error),
        any::<i64>().prop_map(Reply::Integer),
        prop::collection::vec(any::<u8>(), 0..24).prop_map(Reply::Bulk),
        Just(Reply::Null),
        Just(Reply::NullArray),
        any::<f64>().prop_map(Reply::Double),
        any::<bool>().prop_map(Reply::Bool),
        "[a-z\r\n ]{0,20}".prop_map(Reply::Verbatim),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Array),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Set),
            prop::collection::vec(inner.clone(), 0..6).prop_map(Reply::Push),
            prop::collection::vec((inner.clone(), inner), 0..4).prop_map(Reply::Map),
        ]
    })
}

proptest! {
    #[test]
    fn encoded_replies_are_read_whole(reply in reply(), resp3 in any::<bool>()) {
        let protocol = if resp3 { Protocol::Resp3 } else { Protocol::Resp2 };
        let bytes = encode::to_bytes(&reply, protocol);
        prop_assert_eq!(reply_len(&bytes), Ok(bytes.len()));
        for cut in 0..bytes.len() {
            prop_assert_eq!(reply_len(&bytes[..cut]), Err(Incomplete::NeedMore), "prefix of {} bytes", cut);
        }
        prop_assert_eq!(normalise(&bytes, Order::Unordered).len(), bytes.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(tokens in prop::collection::vec(prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        prop::sample::select(b"*$%~>|:+-_,#!=(\r\n0123-".to_vec()).prop_map(|b| vec![b]),
        prop::sample::select(vec!["9223372036854775807", "-9223372036854775808", "4611686018427387904", "\r\n"])
            .prop_map(|s| s.as_bytes().to_vec()),
    ], 0..64)) {
        let bytes = tokens.concat();
        let _ = reply_len(&bytes);
        let _ = normalise(&bytes, Order::Unordered);
        let _ = normalise(&bytes, Order::UnorderedPairs);
    }
}

proptest! {
    /// Command files are hand-written: any text parses or is refused with a
    /// line number, never a panic.
    #[test]
    fn any_command_file_text_is_handled(text in "([@#a-z0-9 \"'\\\\\t]|\\\\x[0-9a-f]{2}|\n|@sleep [0-9]{1,3}|@unordered){0,64}") {
        let _ = lockstep_differential::script::parse(&text);
    }

    #[test]
    fn double_quoted_arguments_round_trip(args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..12), 1..5)) {
        let line: String = args
            .iter()
            .map(|a| format!("\"{}\"", a.iter().map(|b| format!("\\x{b:02x}")).collect::<String>()))
            .collect::<Vec<_>>()
            .join(" ");
        prop_assert_eq!(lockstep_differential::script::split_args(&line), Ok(args));
    }
}
