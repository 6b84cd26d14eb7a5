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

mod groups;
mod nodes;

use std::collections::BTreeMap;
use std::fmt;

pub use groups::{Consumer, ConsumerGroup, PendingEntry, INVALID_ENTRIES_READ};
pub use nodes::NodeLimits;
use nodes::{entry_bytes, rax_nodes, Node, LISTPACK_MAX_SIZE};

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

#[cfg(test)]
mod tests;
