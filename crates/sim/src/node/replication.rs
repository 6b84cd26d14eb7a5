//! A node's side of replication: what a write changes in its offsets and
//! its dirty flags, what a replica accepts from its primary and how it
//! loads it, and what a primary learns from a replica's acknowledgement
//! (the WAITs it can now answer). Who receives the stream and when is the
//! world's business (`crate::world::nodes`).

use std::rc::Rc;

use lockstep_engine::Dataset;

use super::{Node, Waiter};

impl Node {
    /// Notes a finished command's writes, if it made any: the disk files
    /// are behind, and a primary's offset counts the write. False when the
    /// data did not change.
    pub fn note_writes(&mut self) -> bool {
        let changes = self.engine.changes();
        if changes == self.changes_seen {
            return false;
        }
        self.changes_seen = changes;
        self.aof_dirty = true;
        self.rdb_dirty = true;
        if self.replica_of.is_none() {
            self.offset += 1;
        }
        true
    }

    /// The data after a write, when someone needs it now: the AOF with
    /// `appendfsync always` (written before the reply), or replicas.
    pub fn write_out(&mut self, to_replicas: bool) -> Option<Rc<Dataset>> {
        let always = self.fsync_always();
        if !always && !to_replicas {
            return None;
        }
        let data = Rc::new(self.engine.dataset());
        if always {
            self.aof_file = Rc::clone(&data);
            self.aof_dirty = false;
        }
        Some(data)
    }

    /// Whether a replica takes `primary`'s stream at `offset`: it must be
    /// up, follow that primary, and not have it already (a full sync is
    /// always taken).
    pub fn accepts_sync(&self, primary: usize, offset: u64, full: bool) -> bool {
        self.up && self.replica_of == Some(primary) && (full || offset > self.offset)
    }

    /// A replica loads its primary's data as of `offset`.
    pub fn load_sync(&mut self, data: &Rc<Dataset>, offset: u64) {
        self.engine.load_dataset(data);
        self.offset = offset;
        self.changes_seen = self.engine.changes();
        self.aof_dirty = true;
        self.rdb_dirty = true;
        if self.fsync_always() {
            self.aof_file = Rc::clone(data);
            self.aof_dirty = false;
        }
    }

    /// A primary learns that `replica` has everything up to `offset`;
    /// returns the WAITs that now have their replicas.
    pub fn record_ack(&mut self, replica: usize, offset: u64) -> Vec<Waiter> {
        if !self.up {
            return Vec::new();
        }
        let acked = self.acked.entry(replica).or_insert(0);
        *acked = (*acked).max(offset);
        let acked = &self.acked;
        let (ready, waiting): (Vec<Waiter>, Vec<Waiter>) = self
            .waiters
            .drain(..)
            .partition(|w| acked.values().filter(|&&o| o >= w.offset).count() >= w.replicas);
        self.waiters = waiting;
        ready
    }

    /// How many replicas have acknowledged `offset`.
    pub fn replicas_at(&self, offset: u64) -> usize {
        self.acked.values().filter(|&&o| o >= offset).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::ActorId;

    fn node(replica_of: Option<usize>) -> Node {
        let scenario = crate::Scenario::parse(
            "title = \"r\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n",
        )
        .expect("scenario");
        Node::new(scenario.nodes[0].clone(), replica_of).expect("node")
    }

    fn set(n: &mut Node, key: &str) {
        let conn = n.engine.connect("c", 0);
        let args = vec![b"SET".to_vec(), key.as_bytes().to_vec(), b"v".to_vec()];
        n.engine.execute(conn, &args, 0);
    }

    fn waiter(id: u64, offset: u64, replicas: usize) -> Waiter {
        Waiter {
            id,
            msg: id,
            from: ActorId::client(0),
            caller: "c1".into(),
            task: 0,
            offset,
            replicas,
        }
    }

    #[test]
    fn a_primary_counts_its_writes_and_a_read_changes_nothing() {
        let mut n = node(None);
        assert!(!n.note_writes(), "nothing written yet");
        set(&mut n, "k");
        assert!(n.note_writes());
        assert_eq!(n.offset, 1);
        assert!(n.aof_dirty && n.rdb_dirty);
        assert!(!n.note_writes(), "the same write is counted once");
        assert!(n.write_out(false).is_none(), "no replica, no fsync always");
        assert!(n.write_out(true).is_some());
    }

    #[test]
    fn a_replica_takes_only_its_primarys_newer_stream() {
        let mut primary = node(None);
        set(&mut primary, "k");
        primary.note_writes();
        let data = primary.write_out(true).expect("data");
        let mut replica = node(Some(0));
        assert!(!replica.accepts_sync(1, 1, false), "another primary");
        assert!(replica.accepts_sync(0, 1, false));
        replica.load_sync(&data, 1);
        assert_eq!(replica.offset, 1);
        assert!(replica.engine.keyspace().peek(b"k").is_some());
        assert!(!replica.accepts_sync(0, 1, false), "already has it");
        assert!(
            replica.accepts_sync(0, 1, true),
            "a full sync is always taken"
        );
        replica.crash();
        assert!(!replica.accepts_sync(0, 2, true), "down");
    }

    #[test]
    fn an_acknowledgement_answers_the_waits_it_completes() {
        let mut n = node(None);
        n.waiters = vec![waiter(1, 1, 1), waiter(2, 2, 1), waiter(3, 1, 2)];
        let ready: Vec<u64> = n.record_ack(5, 1).iter().map(|w| w.id).collect();
        assert_eq!(ready, [1]);
        assert_eq!(n.replicas_at(1), 1);
        let ready: Vec<u64> = n.record_ack(6, 2).iter().map(|w| w.id).collect();
        assert_eq!(ready, [2, 3]);
        assert!(n.waiters.is_empty());
        assert_eq!(n.record_ack(5, 0).len(), 0, "an older ack changes nothing");
        assert_eq!(n.replicas_at(1), 2);
    }
}
