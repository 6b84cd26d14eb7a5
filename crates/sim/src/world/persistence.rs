//! A node's disk: the periodic fsync and snapshots, and what an
//! administrator changes at run time — `CONFIG SET appendonly`,
//! `appendfsync` and `save`, `BGSAVE`/`SAVE`, `BGREWRITEAOF`.

use std::rc::Rc;

use lockstep_engine::Reply;

use super::{Pending, World};
use crate::actor::ActorId;
use crate::node::{config_seen, parse_fsync, parse_save, DiskJob};
use crate::trace::What;

impl World {
    /// Schedules the node's periodic disk work as its settings are now.
    pub(super) fn schedule_persist(&mut self, node: usize) {
        for job in [DiskJob::Fsync, DiskJob::Snapshot] {
            self.schedule_disk_job(node, job);
        }
    }

    fn schedule_disk_job(&mut self, node: usize, job: DiskJob) {
        if let Some(every) = self.nodes[node].every(job) {
            let generation = self.nodes[node].disk_gen;
            self.schedule(
                self.now + every,
                Pending::Persist {
                    node,
                    generation,
                    job,
                },
            );
        }
    }

    /// The background save (RDB) or fsync (AOF everysec/no) runs.
    pub(super) fn persist(&mut self, node: usize, generation: u64, job: DiskJob) {
        let n = &mut self.nodes[node];
        if n.disk_gen != generation || !n.up {
            return;
        }
        let what = match job {
            DiskJob::Fsync if n.aof_dirty => {
                n.aof_file = Rc::new(n.engine.dataset());
                n.aof_dirty = false;
                Some("AOF fsync")
            }
            DiskJob::Snapshot if n.rdb_dirty => {
                n.rdb_file = Some(Rc::new(n.engine.dataset()));
                n.rdb_dirty = false;
                Some("RDB snapshot")
            }
            _ => None,
        };
        if let Some(what) = what {
            self.emit(ActorId::node(node), What::Persist { what: what.into() });
        }
        self.schedule_disk_job(node, job);
    }

    /// After a command ran on a node: the disk work it asked for, or the
    /// persistence it changed. Runs for CONFIG, EXEC (a CONFIG SET inside
    /// MULTI), SAVE, BGSAVE and BGREWRITEAOF that did not fail.
    pub(super) fn after_admin(&mut self, node: usize, args: &[Vec<u8>], reply: &Reply) {
        if matches!(reply, Reply::Error(_)) {
            return;
        }
        let name = args
            .first()
            .map(|a| a.to_ascii_lowercase())
            .unwrap_or_default();
        match name.as_slice() {
            b"config" | b"exec" => self.settings_from_config(node),
            b"save" | b"bgsave" => {
                let n = &mut self.nodes[node];
                n.rdb_file = Some(Rc::new(n.engine.dataset()));
                n.rdb_dirty = false;
                let what = format!(
                    "RDB snapshot ({})",
                    String::from_utf8_lossy(&name).to_uppercase()
                );
                self.emit(ActorId::node(node), What::Persist { what });
            }
            b"bgrewriteaof" if self.nodes[node].settings.aof => {
                let n = &mut self.nodes[node];
                n.aof_file = Rc::new(n.engine.dataset());
                n.aof_dirty = false;
                self.emit(
                    ActorId::node(node),
                    What::Persist {
                        what: "AOF rewrite (BGREWRITEAOF)".into(),
                    },
                );
            }
            _ => {}
        }
    }

    /// Brings the node's persistence in line with its configuration after
    /// a CONFIG SET. Turning the AOF on rewrites it from the data now (as
    /// Redis's rewrite does, here at once); turning it off flushes and
    /// fsyncs it one last time, and later writes never reach it.
    fn settings_from_config(&mut self, node: usize) {
        let seen = config_seen(&self.nodes[node].engine);
        if seen == self.nodes[node].config_seen {
            return;
        }
        let n = &mut self.nodes[node];
        let before = std::mem::replace(&mut n.config_seen, seen.clone());
        let mut notes = Vec::new();
        if seen[0] != before[0] {
            let on = seen[0] == "yes";
            n.settings.aof = on;
            n.aof_file = Rc::new(n.engine.dataset());
            n.aof_dirty = false;
            notes.push(if on {
                "AOF rewrite (appendonly yes): every write from now on goes to the AOF"
            } else {
                "AOF flushed and closed (appendonly no): later writes are not in it"
            });
        }
        if seen[1] != before[1] {
            n.settings.fsync = parse_fsync(&seen[1]);
        }
        if seen[2] != before[2] {
            n.settings.rdb_every = parse_save(&seen[2]);
        }
        n.disk_gen += 1;
        for what in notes {
            self.emit(ActorId::node(node), What::Persist { what: what.into() });
        }
        self.schedule_persist(node);
    }
}
