//! Consumer groups: the pending entries list and consumers.

use std::collections::{BTreeMap, BTreeSet};

use super::StreamId;

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
