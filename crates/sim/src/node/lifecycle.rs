//! A node's life: its machine stops (memory, connections and the running
//! command gone) and starts again with what its disk kept and its start-up
//! configuration.

use super::persistence::startup_settings;
use super::{fresh_engine, Node};
use crate::trace::Time;

impl Node {
    /// The node dies: memory, connections and the running command are gone.
    pub fn crash(&mut self) {
        self.up = false;
        self.epoch += 1;
        self.disk_gen += 1;
        self.connections.clear();
        self.running = None;
        self.queue.clear();
        self.waiters.clear();
        self.acked.clear();
        self.blocked.clear();
        self.held_behind_block.clear();
        self.write_offsets.clear();
        self.block_timer_at = None;
    }

    /// The node starts again at `t` with what its disk kept, and with its
    /// start-up configuration (changes made by CONFIG SET are gone).
    pub fn restart(&mut self, t: Time) {
        self.up = true;
        self.epoch += 1;
        self.disk_gen += 1;
        let loads = self.loads_on_restart().cloned();
        self.engine = fresh_engine(&self.spec, self.clock.local_ms(t));
        (self.settings, self.config_seen) = startup_settings(&self.spec, &self.engine);
        if let Some(data) = loads {
            self.engine.load_dataset(&data);
        }
        self.changes_seen = self.engine.changes();
        self.aof_dirty = false;
        self.rdb_dirty = false;
        self.offset = 0;
    }
}
