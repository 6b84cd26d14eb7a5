//! The macro-node ledger: how Redis's listpacks would be sized, so that
//! nodes close exactly where Redis closes them (`stream-node-max-bytes`,
//! `stream-node-max-entries`), and how many radix tree nodes index them.

use super::{Fields, StreamId};
use crate::numbers::parse_i64;

/// The macro-node limits (`stream-node-max-bytes`, `stream-node-max-entries`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: u64,
}

impl Default for NodeLimits {
    fn default() -> Self {
        NodeLimits {
            max_bytes: 4096,
            max_entries: 100,
        }
    }
}

/// The largest listpack Redis builds (`STREAM_LISTPACK_MAX_SIZE`).
pub(super) const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// One macro node: its master entry's fields and its counters. Entries of
/// a node are the live entries from its master ID up to the next node's.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Node {
    pub(super) master_fields: Vec<Vec<u8>>,
    pub(super) live: u64,
    /// Entries flagged deleted but still taking room in the listpack.
    pub(super) deleted: u64,
    /// Bytes taken by the entries (live and deleted), without the header
    /// and master entry.
    pub(super) entry_bytes: usize,
    /// The last entry ever appended to the node, deleted or not.
    pub(super) last_id: StreamId,
}

impl Node {
    /// `lpBytes` of the node's listpack.
    pub(super) fn bytes(&self) -> usize {
        let master: usize = self.master_fields.iter().map(|f| lp_string_len(f)).sum();
        // Header (6) and end byte (1), then count, deleted, num-fields,
        // the master fields and the master entry's zero terminator.
        7 + lp_int_len(self.live as i64)
            + lp_int_len(self.deleted as i64)
            + lp_int_len(self.master_fields.len() as i64)
            + master
            + lp_int_len(0)
            + self.entry_bytes
    }
}

/// Size of a listpack element holding integer `v`, backlen included.
pub(super) fn lp_int_len(v: i64) -> usize {
    let encoded = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    encoded + lp_backlen_len(encoded)
}

/// Size of a listpack element holding `s`: strings that read as integers
/// are stored as integers, as `lpEncodeGetType` does.
pub(super) fn lp_string_len(s: &[u8]) -> usize {
    if let Some(v) = parse_i64(s) {
        return lp_int_len(v);
    }
    let encoded = match s.len() {
        0..=63 => 1 + s.len(),
        64..=4095 => 2 + s.len(),
        _ => 5 + s.len(),
    };
    encoded + lp_backlen_len(encoded)
}

fn lp_backlen_len(l: usize) -> usize {
    match l {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Listpack bytes one entry adds (flags, ID deltas, fields, lp-count).
pub(super) fn entry_bytes(
    master: StreamId,
    id: StreamId,
    fields: &Fields,
    same_fields: bool,
) -> usize {
    let ms_delta = id.ms.wrapping_sub(master.ms) as i64;
    let seq_delta = id.seq.wrapping_sub(master.seq) as i64;
    let numfields = fields.len();
    let mut bytes =
        lp_int_len(if same_fields { 2 } else { 0 }) + lp_int_len(ms_delta) + lp_int_len(seq_delta);
    if !same_fields {
        bytes += lp_int_len(numfields as i64);
    }
    for (f, v) in fields {
        if !same_fields {
            bytes += lp_string_len(f);
        }
        bytes += lp_string_len(v);
    }
    let lp_count = if same_fields {
        numfields + 3
    } else {
        2 * numfields + 4
    };
    bytes + lp_int_len(lp_count as i64)
}

/// Radix tree nodes below a point where `keys` (sorted, distinct, equal
/// length) share their first `depth` bytes.
pub(super) fn rax_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
    let rest = 16 - depth;
    if keys.len() == 1 {
        // A compressed node for the rest of the key, then the key's leaf.
        return if rest > 0 { 2 } else { 1 };
    }
    let first = &keys[0];
    let last = &keys[keys.len() - 1];
    let common = (depth..16).take_while(|&i| first[i] == last[i]).count();
    let branch_at = depth + common;
    let mut total = 1; // the branching node
    if common > 0 {
        total += 1; // the compressed node leading to it
    }
    let mut start = 0;
    while start < keys.len() {
        let byte = keys[start][branch_at];
        let end = start
            + keys[start..]
                .iter()
                .take_while(|k| k[branch_at] == byte)
                .count();
        total += rax_nodes(&keys[start..end], branch_at + 1);
        start = end;
    }
    total
}
