//! Stream values: entries ordered by ID, the macro-node layout Redis keeps
//! them in, and consumer groups.
//!
//! Redis stores a stream as a radix tree of listpacks ("macro nodes"), each
//! holding up to `stream-node-max-entries` entries and about
//! `stream-node-max-bytes` bytes. Most commands cannot see that layout, but
//! approximate trimming (`MAXLEN ~`, `MINID ~`) only ever removes whole
//! nodes, and `XINFO STREAM` reports the tree's size. So besides the live
//! entries we keep a ledger of nodes — where each starts, how many live and
//! deleted entries it holds and how many bytes its listpack takes — sized
//! exactly as Redis's listpack encoding would size them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::numbers::parse_i64;

/// A stream entry ID: milliseconds and a sequence number, ordered as a
/// 128-bit number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID (`streamIncrID`); `None` past the last possible ID.
    pub fn next(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID (`streamDecrID`); `None` before 0-0.
    pub fn prev(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The reply form, `<ms>-<seq>`.
    pub fn to_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// The 128-bit big-endian key Redis's radix tree orders nodes by.
    fn rax_key(self) -> [u8; 16] {
        let mut key = [0u8; 16];
        key[..8].copy_from_slice(&self.ms.to_be_bytes());
        key[8..].copy_from_slice(&self.seq.to_be_bytes());
        key
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// An entry's field-value pairs, in the order they were added.
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;

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
const LISTPACK_MAX_SIZE: usize = 1 << 30;

/// One macro node: its master entry's fields and its counters. Entries of
/// a node are the live entries from its master ID up to the next node's.
#[derive(Clone, Debug, PartialEq)]
struct Node {
    master_fields: Vec<Vec<u8>>,
    live: u64,
    /// Entries flagged deleted but still taking room in the listpack.
    deleted: u64,
    /// Bytes taken by the entries (live and deleted), without the header
    /// and master entry.
    entry_bytes: usize,
    /// The last entry ever appended to the node, deleted or not.
    last_id: StreamId,
}

impl Node {
    /// `lpBytes` of the node's listpack.
    fn bytes(&self) -> usize {
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
fn lp_int_len(v: i64) -> usize {
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
fn lp_string_len(s: &[u8]) -> usize {
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

/// A message delivered to a consumer and not acknowledged yet.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingEntry {
    pub consumer: Vec<u8>,
    /// When it was last delivered, in the node's clock (ms).
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Consumer {
    /// Last time the consumer read or claimed (ms).
    pub seen_time: i64,
    /// IDs of its pending messages; the details live in the group's PEL.
    pub pending: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConsumerGroup {
    /// The last ID delivered to any consumer of the group.
    pub last_id: StreamId,
    /// Logical read counter (`entries-read`); -1 when unknown.
    pub entries_read: i64,
    /// The pending entries list, by ID.
    pub pel: BTreeMap<StreamId, PendingEntry>,
    /// Consumers by name, in byte order (Redis keeps them in a radix tree).
    pub consumers: BTreeMap<Vec<u8>, Consumer>,
}

/// `SCG_INVALID_ENTRIES_READ`.
pub const INVALID_ENTRIES_READ: i64 = -1;

impl ConsumerGroup {
    pub fn new(last_id: StreamId, entries_read: i64) -> Self {
        ConsumerGroup {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    /// Creates `name` if missing; true if it was created.
    pub fn create_consumer(&mut self, name: &[u8], now_ms: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let consumer = Consumer {
            seen_time: now_ms,
            pending: BTreeSet::new(),
        };
        self.consumers.insert(name.to_vec(), consumer);
        true
    }

    /// Looks `name` up (creating it if needed) and marks it seen now, as
    /// `streamLookupConsumer` + `streamCreateConsumer` do for reads and claims.
    pub fn touch_consumer(&mut self, name: &[u8], now_ms: i64) -> &mut Consumer {
        let consumer = self.consumers.entry(name.to_vec()).or_default();
        consumer.seen_time = now_ms;
        consumer
    }

    /// Removes `id` from the group PEL and from its consumer's; returns
    /// the entry if it was pending.
    pub fn remove_pending(&mut self, id: StreamId) -> Option<PendingEntry> {
        let entry = self.pel.remove(&id)?;
        if let Some(consumer) = self.consumers.get_mut(&entry.consumer) {
            consumer.pending.remove(&id);
        }
        Some(entry)
    }

    /// Hands pending entry `id` to `consumer` (which must exist), moving it
    /// out of the previous owner's list.
    pub fn assign_pending(&mut self, id: StreamId, consumer: &[u8]) {
        let Some(entry) = self.pel.get_mut(&id) else {
            return;
        };
        if entry.consumer != consumer {
            let previous = std::mem::replace(&mut entry.consumer, consumer.to_vec());
            if let Some(old) = self.consumers.get_mut(&previous) {
                old.pending.remove(&id);
            }
        }
        if let Some(new) = self.consumers.get_mut(consumer) {
            new.pending.insert(id);
        }
    }

    /// Deletes a consumer and its pending entries; returns how many it had.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pending {
            self.pel.remove(id);
        }
        Some(consumer.pending.len())
    }
}

/// Why an append failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendError {
    /// The ID is not greater than the stream's last ID.
    IdTooSmall,
    /// The entry is larger than a listpack can hold.
    TooLarge,
}

/// How to trim (`MAXLEN`/`MINID`), as parsed from XADD and XTRIM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrimStrategy {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim {
    pub strategy: TrimStrategy,
    /// `~`: remove whole nodes only.
    pub approx: bool,
    /// Most entries to remove; 0 for no limit.
    pub limit: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {
    entries: BTreeMap<StreamId, Fields>,
    nodes: BTreeMap<StreamId, Node>,
    /// The last ID ever added (or set by XSETID); 0-0 if none.
    pub last_id: StreamId,
    /// The first live entry's ID; 0-0 if empty.
    pub first_id: StreamId,
    /// The largest ID removed by XDEL.
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups by name, in byte order.
    pub groups: BTreeMap<Vec<u8>, ConsumerGroup>,
}

impl Stream {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, id: StreamId) -> Option<&Fields> {
        self.entries.get(&id)
    }

    pub fn contains(&self, id: StreamId) -> bool {
        self.entries.contains_key(&id)
    }

    /// The last live entry's ID (`streamLastValidID`).
    pub fn last_live_id(&self) -> Option<StreamId> {
        self.entries.keys().next_back().copied()
    }

    /// Live entries with IDs in `start..=end`, in order.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> std::collections::btree_map::Range<'_, StreamId, Fields> {
        if start <= end {
            self.entries.range(start..=end)
        } else {
            self.entries.range(StreamId::MIN..StreamId::MIN)
        }
    }

    /// Number of macro nodes (XINFO's `radix-tree-keys`).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of radix tree nodes (XINFO's `radix-tree-nodes`) for the
    /// node keys: Redis's rax keeps single-child runs in one compressed
    /// node and branches one byte per child, so after a branch a longer
    /// label costs an extra compressed node.
    pub fn rax_node_count(&self) -> usize {
        let keys: Vec<[u8; 16]> = self.nodes.keys().map(|id| id.rax_key()).collect();
        if keys.is_empty() {
            return 1;
        }
        rax_nodes(&keys, 0)
    }

    /// The ID an auto-generated entry gets at `now_ms` (`streamNextID`).
    pub fn next_auto_id(&self, now_ms: i64) -> Option<StreamId> {
        let ms = u64::try_from(now_ms).unwrap_or(0);
        if ms > self.last_id.ms {
            Some(StreamId::new(ms, 0))
        } else {
            self.last_id.next()
        }
    }

    /// Appends an entry with an explicit ID, which must be greater than
    /// the last ID. Mirrors `streamAppendItem`, including its node layout.
    pub fn append(
        &mut self,
        id: StreamId,
        fields: Fields,
        limits: NodeLimits,
    ) -> Result<StreamId, AppendError> {
        if id <= self.last_id {
            return Err(AppendError::IdTooSmall);
        }
        let total: usize = fields.iter().map(|(f, v)| f.len() + v.len()).sum();
        if total > LISTPACK_MAX_SIZE {
            return Err(AppendError::TooLarge);
        }
        let max_bytes = if limits.max_bytes == 0 || limits.max_bytes > LISTPACK_MAX_SIZE {
            LISTPACK_MAX_SIZE
        } else {
            limits.max_bytes
        };
        let tail_is_full = match self.nodes.values().next_back() {
            None => true,
            Some(tail) => {
                tail.bytes() + total >= max_bytes
                    || (limits.max_entries != 0 && tail.live + tail.deleted >= limits.max_entries)
            }
        };
        if tail_is_full {
            let node = Node {
                master_fields: fields.iter().map(|(f, _)| f.clone()).collect(),
                live: 0,
                deleted: 0,
                entry_bytes: 0,
                last_id: id,
            };
            self.nodes.insert(id, node);
        }
        if let Some((master_id, tail)) = self.nodes.iter_mut().next_back() {
            let same_fields = tail.master_fields.len() == fields.len()
                && tail
                    .master_fields
                    .iter()
                    .zip(&fields)
                    .all(|(m, (f, _))| m == f);
            tail.entry_bytes += entry_bytes(*master_id, id, &fields, same_fields);
            tail.live += 1;
            tail.last_id = id;
        }
        self.entries.insert(id, fields);
        self.entries_added += 1;
        self.last_id = id;
        if self.entries.len() == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Deletes one entry (XDEL); true if it existed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        if self.entries.remove(&id).is_none() {
            return false;
        }
        let node_key = self.nodes.range(..=id).next_back().map(|(k, _)| *k);
        if let Some(key) = node_key {
            let emptied = match self.nodes.get_mut(&key) {
                Some(node) if node.live <= 1 => true,
                Some(node) => {
                    node.live -= 1;
                    node.deleted += 1;
                    false
                }
                None => false,
            };
            if emptied {
                self.nodes.remove(&key);
            }
        }
        true
    }

    /// Recomputes `first_id` after deletions (`streamGetEdgeID`).
    pub fn refresh_first_id(&mut self) {
        self.first_id = self.entries.keys().next().copied().unwrap_or_default();
    }

    /// Trims from the head as `streamTrim` does; returns entries removed.
    pub fn trim(&mut self, trim: Trim) -> u64 {
        let mut deleted = 0u64;
        loop {
            if let TrimStrategy::MaxLen(max) = trim.strategy {
                if self.len() <= max {
                    break;
                }
            }
            let Some((&master_id, node)) = self.nodes.iter().next() else {
                break;
            };
            let entries = node.live;
            if trim.limit != 0 && deleted + entries > trim.limit {
                break;
            }
            let remove_node = match trim.strategy {
                TrimStrategy::MaxLen(max) => self.len() - entries >= max,
                TrimStrategy::MinId(min) => node.last_id < min,
            };
            let next_master = self.nodes.keys().nth(1).copied();
            let in_node: Vec<StreamId> = match next_master {
                Some(next) => self
                    .entries
                    .range(master_id..next)
                    .map(|(id, _)| *id)
                    .collect(),
                None => self.entries.range(master_id..).map(|(id, _)| *id).collect(),
            };
            if remove_node {
                for id in &in_node {
                    self.entries.remove(id);
                }
                self.nodes.remove(&master_id);
                deleted += entries;
                continue;
            }
            if trim.approx {
                break;
            }
            let mut removed_here = 0u64;
            for id in in_node {
                let stop = match trim.strategy {
                    TrimStrategy::MaxLen(max) => self.len() <= max,
                    TrimStrategy::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                self.entries.remove(&id);
                removed_here += 1;
            }
            if let Some(node) = self.nodes.get_mut(&master_id) {
                node.live -= removed_here;
                node.deleted += removed_here;
            }
            deleted += removed_here;
            break;
        }
        if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// The read counter of `id` if it can be known
    /// (`streamEstimateDistanceFromFirstEverEntry`), else -1.
    pub fn estimate_distance(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.is_empty() && id <= self.last_id {
            return added;
        }
        if id == self.last_id {
            return added;
        }
        if id > self.last_id {
            return INVALID_ENTRIES_READ;
        }
        if self.max_deleted_entry_id.is_zero() || self.max_deleted_entry_id < self.first_id {
            if id < self.first_id {
                return added - self.len() as i64;
            }
            if id == self.first_id {
                return added - self.len() as i64 + 1;
            }
        }
        INVALID_ENTRIES_READ
    }

    /// Whether `start..=end` may hold a deleted entry (`streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.is_empty() || self.max_deleted_entry_id.is_zero() {
            return false;
        }
        if self.first_id > self.max_deleted_entry_id {
            return false;
        }
        start <= self.max_deleted_entry_id && self.max_deleted_entry_id <= end
    }

    /// A group's lag (XINFO), or `None` when it cannot be known.
    pub fn group_lag(&self, group: &ConsumerGroup) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if group.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(group.last_id, StreamId::MAX)
        {
            return Some(added - group.entries_read);
        }
        let read = self.estimate_distance(group.last_id);
        (read != INVALID_ENTRIES_READ).then(|| added - read)
    }

    /// Records that `group` delivered `id`, keeping its read counter as
    /// `streamReplyWithRange` does.
    pub fn advance_group(&mut self, group_name: &[u8], id: StreamId) {
        let tombstones_ahead = self.range_has_tombstones(id, StreamId::MAX);
        let estimate = self.estimate_distance(id);
        let has_entries = self.entries_added > 0;
        let Some(group) = self.groups.get_mut(group_name) else {
            return;
        };
        if id <= group.last_id {
            return;
        }
        if group.entries_read != INVALID_ENTRIES_READ && !tombstones_ahead {
            group.entries_read += 1;
        } else if has_entries {
            group.entries_read = estimate;
        }
        group.last_id = id;
    }
}

/// Listpack bytes one entry adds (flags, ID deltas, fields, lp-count).
fn entry_bytes(master: StreamId, id: StreamId, fields: &Fields, same_fields: bool) -> usize {
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
fn rax_nodes(keys: &[[u8; 16]], depth: usize) -> usize {
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

#[cfg(test)]
mod tests {
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
}
