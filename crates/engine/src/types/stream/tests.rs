//! The stream type: IDs, node layout, trimming.

use super::nodes::{lp_int_len, lp_string_len};
use super::*;

fn f(pairs: &[(&str, &str)]) -> Fields {
    pairs
        .iter()
        .map(|(a, b)| (a.as_bytes().to_vec(), b.as_bytes().to_vec()))
        .collect()
}

fn filled(n: u64) -> Stream {
    let mut s = Stream::new();
    for i in 1..=n {
        s.append(StreamId::new(i, 1), f(&[("a", "1")]), NodeLimits::default())
            .unwrap();
    }
    s
}

#[test]
fn ids_step_and_wrap() {
    assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
    assert_eq!(StreamId::MAX.next(), None);
    assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
    assert_eq!(StreamId::MIN.prev(), None);
    assert_eq!(StreamId::new(5, 7).to_string(), "5-7");
}

#[test]
fn nodes_split_every_hundred_entries() {
    let s = filled(250);
    assert_eq!(s.node_count(), 3);
    assert_eq!(s.rax_node_count(), 8);
}

#[test]
fn approximate_trim_removes_whole_nodes_only() {
    let mut s = filled(251);
    let approx = |n| Trim {
        strategy: TrimStrategy::MaxLen(n),
        approx: true,
        limit: 10_000,
    };
    assert_eq!(s.trim(approx(120)), 100);
    assert_eq!(s.trim(approx(10)), 100);
    assert_eq!(s.len(), 51);
    assert_eq!(s.trim(approx(10)), 0);
    assert_eq!(s.first_id, StreamId::new(201, 1));
}

#[test]
fn exact_trim_flags_entries_in_the_head_node() {
    let mut s = filled(150);
    let exact = Trim {
        strategy: TrimStrategy::MaxLen(120),
        approx: false,
        limit: 0,
    };
    assert_eq!(s.trim(exact), 30);
    assert_eq!(s.node_count(), 2);
    let minid = Trim {
        strategy: TrimStrategy::MinId(StreamId::new(140, 0)),
        approx: false,
        limit: 0,
    };
    assert_eq!(s.trim(minid), 109);
    assert_eq!(s.first_id, StreamId::new(140, 1));
}

#[test]
fn big_entries_fill_nodes_by_bytes() {
    let mut s = Stream::new();
    let big = "x".repeat(1000);
    for i in 1..=10 {
        s.append(
            StreamId::new(i, 0),
            f(&[("f", &big)]),
            NodeLimits::default(),
        )
        .unwrap();
    }
    // Four 1000-byte values fit under 4096 bytes, a fifth does not.
    assert_eq!(s.node_count(), 3);
}

#[test]
fn deleting_a_nodes_last_live_entry_drops_the_node() {
    let mut s = filled(101);
    assert_eq!(s.node_count(), 2);
    assert!(s.delete(StreamId::new(101, 1)));
    assert_eq!(s.node_count(), 1);
    assert!(!s.delete(StreamId::new(101, 1)));
}

#[test]
fn listpack_sizes() {
    assert_eq!(lp_int_len(127), 2);
    assert_eq!(lp_int_len(-1), 3);
    assert_eq!(lp_string_len(b"12"), 2);
    assert_eq!(lp_string_len(b"012"), 5);
    assert_eq!(lp_string_len(&[b'x'; 200]), 204);
}
