//! A node's disk: the persistence it runs with, the periodic fsync and
//! snapshots, what a restart will load, and what an administrator changes
//! at run time — `CONFIG SET appendonly`, `appendfsync` and `save`,
//! `BGSAVE`/`SAVE`, `BGREWRITEAOF`.

use std::rc::Rc;

use lockstep_engine::{Dataset, Engine, Reply};

use super::{Node, NodeContext, Timer};
use crate::scenario::{Fsync, NodeSpec, Persistence};
use crate::trace::{Time, What};

/// How often the OS flushes an `appendfsync no` file.
pub const OS_FLUSH_US: Time = 30_000_000;

/// The persistence a node runs with: its start-up configuration (the
/// scenario's `persistence`, `appendfsync`, `rdb_every_ms`, or the same
/// settings in `config`), changed by `CONFIG SET` until the next restart,
/// which reads the start-up configuration again as Redis reads redis.conf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiskSettings {
    /// `appendonly yes`: every write goes to the AOF, which a restart loads.
    pub aof: bool,
    pub fsync: Fsync,
    /// RDB snapshots (`save`): how often, when anything changed.
    pub rdb_every: Option<Time>,
}

/// The periodic work of a node's persistence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskJob {
    /// The AOF's fsync (`everysec`) or the OS's flush (`no`).
    Fsync,
    /// An RDB snapshot (`save`).
    Snapshot,
}

/// The persistence settings as the engine's configuration spells them:
/// `appendonly`, `appendfsync`, `save`.
pub(super) type ConfigSeen = [String; 3];

impl Node {
    /// Whether the data reaches disk with each write.
    pub fn fsync_always(&self) -> bool {
        self.settings.aof && self.settings.fsync == Fsync::Always
    }

    /// How often a periodic disk job runs, if it does now.
    pub fn every(&self, job: DiskJob) -> Option<Time> {
        match job {
            DiskJob::Fsync if !self.settings.aof => None,
            DiskJob::Fsync => match self.settings.fsync {
                Fsync::Always => None,
                Fsync::Everysec => Some(1_000_000),
                Fsync::No => Some(OS_FLUSH_US),
            },
            DiskJob::Snapshot => self.settings.rdb_every,
        }
    }

    /// What a restart with the start-up configuration loads: the AOF when
    /// `appendonly` is on, else the last RDB file, else nothing.
    pub(super) fn loads_on_restart(&self) -> Option<&Rc<Dataset>> {
        if self.startup.aof {
            Some(&self.aof_file)
        } else {
            self.rdb_file.as_ref()
        }
    }

    /// What a restart will find on disk, in words for the trace.
    pub fn kept_on_restart(&self) -> String {
        if self.startup.aof {
            return match self.startup.fsync {
                Fsync::Always => "every acknowledged write (appendfsync always)".to_string(),
                Fsync::Everysec => "the AOF up to its last fsync (everysec)".to_string(),
                Fsync::No => "the AOF up to the OS's last flush (appendfsync no)".to_string(),
            };
        }
        match self.rdb_file {
            Some(_) => "the last RDB snapshot".to_string(),
            None => "nothing: no persistence".to_string(),
        }
    }

    /// Asks for the node's periodic disk work as its settings are now.
    pub fn schedule_disk_work(&self, ctx: &mut NodeContext) {
        for job in [DiskJob::Fsync, DiskJob::Snapshot] {
            self.schedule_disk_job(job, ctx);
        }
    }

    fn schedule_disk_job(&self, job: DiskJob, ctx: &mut NodeContext) {
        if let Some(every) = self.every(job) {
            let generation = self.disk_gen;
            ctx.set_timer(ctx.now() + every, Timer::Disk { generation, job });
        }
    }

    /// The background save (RDB) or fsync (AOF everysec/no) is due.
    pub fn persist(&mut self, generation: u64, job: DiskJob, ctx: &mut NodeContext) {
        if self.disk_gen != generation || !self.up {
            return;
        }
        let what = match job {
            DiskJob::Fsync if self.aof_dirty => {
                self.aof_file = Rc::new(self.engine.dataset());
                self.aof_dirty = false;
                Some("AOF fsync")
            }
            DiskJob::Snapshot if self.rdb_dirty => {
                self.rdb_file = Some(Rc::new(self.engine.dataset()));
                self.rdb_dirty = false;
                Some("RDB snapshot")
            }
            _ => None,
        };
        if let Some(what) = what {
            ctx.emit(What::Persist { what: what.into() });
        }
        self.schedule_disk_job(job, ctx);
    }

    /// After a command ran: the disk work it asked for, or the persistence
    /// it changed. Runs for CONFIG, EXEC (a CONFIG SET inside MULTI), SAVE,
    /// BGSAVE and BGREWRITEAOF that did not fail.
    pub fn after_admin(&mut self, args: &[Vec<u8>], reply: &Reply, ctx: &mut NodeContext) {
        if matches!(reply, Reply::Error(_)) {
            return;
        }
        let name = args
            .first()
            .map(|a| a.to_ascii_lowercase())
            .unwrap_or_default();
        match name.as_slice() {
            b"config" | b"exec" => self.settings_from_config(ctx),
            b"save" | b"bgsave" => {
                self.rdb_file = Some(Rc::new(self.engine.dataset()));
                self.rdb_dirty = false;
                let what = format!(
                    "RDB snapshot ({})",
                    String::from_utf8_lossy(&name).to_uppercase()
                );
                ctx.emit(What::Persist { what });
            }
            b"bgrewriteaof" if self.settings.aof => {
                self.aof_file = Rc::new(self.engine.dataset());
                self.aof_dirty = false;
                ctx.emit(What::Persist {
                    what: "AOF rewrite (BGREWRITEAOF)".into(),
                });
            }
            _ => {}
        }
    }

    /// Brings the persistence in line with the configuration after a
    /// CONFIG SET. Turning the AOF on rewrites it from the data now (as
    /// Redis's rewrite does, here at once); turning it off flushes and
    /// fsyncs it one last time, and later writes never reach it.
    fn settings_from_config(&mut self, ctx: &mut NodeContext) {
        let seen = config_seen(&self.engine);
        if seen == self.config_seen {
            return;
        }
        let before = std::mem::replace(&mut self.config_seen, seen.clone());
        let mut notes = Vec::new();
        if seen[0] != before[0] {
            let on = seen[0] == "yes";
            self.settings.aof = on;
            self.aof_file = Rc::new(self.engine.dataset());
            self.aof_dirty = false;
            notes.push(if on {
                "AOF rewrite (appendonly yes): every write from now on goes to the AOF"
            } else {
                "AOF flushed and closed (appendonly no): later writes are not in it"
            });
        }
        if seen[1] != before[1] {
            self.settings.fsync = parse_fsync(&seen[1]);
        }
        if seen[2] != before[2] {
            self.settings.rdb_every = parse_save(&seen[2]);
        }
        self.disk_gen += 1;
        for what in notes {
            ctx.emit(What::Persist { what: what.into() });
        }
        self.schedule_disk_work(ctx);
    }
}

/// `save` as the start-up configuration spells `rdb_every_ms`: whole
/// seconds, one change.
pub(super) fn save_text(spec: &NodeSpec) -> String {
    match spec.persistence {
        Persistence::Rdb => format!("{} 1", spec.rdb_every_ms.div_ceil(1000).max(1)),
        _ => String::new(),
    }
}

/// The engine's persistence configuration, as CONFIG GET answers it.
pub(super) fn config_seen(engine: &Engine) -> ConfigSeen {
    ["appendonly", "appendfsync", "save"].map(|name| {
        engine
            .config()
            .get(name)
            .map(str::to_string)
            .unwrap_or_default()
    })
}

/// `appendfsync` as the engine's configuration spells it.
pub(super) fn parse_fsync(text: &str) -> Fsync {
    match text {
        "always" => Fsync::Always,
        "no" => Fsync::No,
        _ => Fsync::Everysec,
    }
}

/// How often `save` rules snapshot: the simulator takes the shortest
/// interval and snapshots then if anything changed (Redis also counts the
/// changes each rule asks for).
pub(super) fn parse_save(text: &str) -> Option<Time> {
    let words: Vec<u64> = text
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    words.chunks(2).map(|pair| pair[0].max(1) * 1_000_000).min()
}

/// The settings a node starts with, read from its fresh engine (the
/// scenario's fields, and `config` where it sets them itself).
pub(super) fn startup_settings(spec: &NodeSpec, engine: &Engine) -> (DiskSettings, ConfigSeen) {
    let seen = config_seen(engine);
    let rdb_every = if seen[2] == save_text(spec) && spec.persistence == Persistence::Rdb {
        Some(spec.rdb_every_ms.max(1) * 1000)
    } else {
        parse_save(&seen[2])
    };
    let settings = DiskSettings {
        aof: seen[0] == "yes",
        fsync: parse_fsync(&seen[1]),
        rdb_every,
    };
    (settings, seen)
}

/// What the node's disk holds at start: its seed data, or nothing when
/// it keeps nothing on disk (a restart then starts empty). Not taking a
/// copy there keeps a big seeded value unshared, so the first write to it
/// does not have to copy it.
pub(super) fn on_disk(settings: &DiskSettings, engine: &Engine) -> Rc<Dataset> {
    if settings.aof || settings.rdb_every.is_some() {
        Rc::new(engine.dataset())
    } else {
        Rc::new(Dataset::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Effect;

    fn node(persistence: &str) -> Node {
        let scenario = crate::Scenario::parse(&format!(
            "title = \"disk\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n{persistence}\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n"
        ))
        .expect("scenario");
        Node::new(scenario.nodes[0].clone(), None).expect("node")
    }

    #[test]
    fn an_everysec_aof_asks_for_its_fsync_and_writes_only_what_changed() {
        let mut n = node("persistence = \"aof\"\nappendfsync = \"everysec\"");
        let mut cx = NodeContext::new(5);
        n.schedule_disk_work(&mut cx);
        let generation = n.disk_gen;
        let fsync = Timer::Disk {
            generation,
            job: DiskJob::Fsync,
        };
        assert_eq!(cx.into_effects(), [Effect::Timer(1_000_005, fsync)]);

        // Nothing written since: no event, only the next fsync.
        let mut cx = NodeContext::new(1_000_005);
        n.persist(generation, DiskJob::Fsync, &mut cx);
        assert_eq!(cx.into_effects(), [Effect::Timer(2_000_005, fsync)]);

        n.aof_dirty = true;
        let mut cx = NodeContext::new(2_000_005);
        n.persist(generation, DiskJob::Fsync, &mut cx);
        let fsynced = What::Persist {
            what: "AOF fsync".into(),
        };
        assert_eq!(
            cx.into_effects(),
            [Effect::Event(fsynced), Effect::Timer(3_000_005, fsync)]
        );
        assert!(!n.aof_dirty);

        // A timer from before a crash is void.
        n.crash();
        let mut cx = NodeContext::new(3_000_005);
        n.persist(generation, DiskJob::Fsync, &mut cx);
        assert!(cx.into_effects().is_empty());
    }

    #[test]
    fn config_set_appendonly_rewrites_the_aof_and_rearms_the_disk_work() {
        let mut n = node("");
        assert!(!n.settings.aof);
        let conn = n.engine.connect("admin", 0);
        let args: Vec<Vec<u8>> = ["CONFIG", "SET", "appendonly", "yes"]
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        let reply = n.engine.execute(conn, &args, 0).reply;
        let before = n.disk_gen;
        let mut cx = NodeContext::new(0);
        n.after_admin(&args, &reply, &mut cx);
        assert!(n.settings.aof);
        assert_eq!(n.disk_gen, before + 1);
        let effects = cx.into_effects();
        assert!(
            matches!(&effects[0], Effect::Event(What::Persist { what }) if what.starts_with("AOF rewrite")),
            "{effects:?}"
        );
        assert!(effects[1..]
            .iter()
            .all(|e| matches!(e, Effect::Timer(_, Timer::Disk { generation, .. }) if *generation == before + 1)));
    }
}
