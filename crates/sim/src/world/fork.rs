//! A node's data taken out of a run, as Redis would move it: each key's
//! `DUMP` payload with its `PTTL` in every database, the script cache's
//! bodies and `FUNCTION DUMP`'s payload. A front end forks a run at a step
//! ([`World::step`] until [`World::events_recorded`] passes it), takes a
//! node's keys with [`World::node_keys`], and `RESTORE`s them into an
//! engine of its own — so nothing it does there can touch the run, and it
//! never needs the node's engine itself.

use lockstep_engine::Reply;
use serde::{Deserialize, Serialize};

use super::World;

/// The address the dump's connection uses on the node.
const DUMP_ADDR: &str = "127.0.0.1:50002";

/// Databases a node has (`databases 16`).
const DATABASES: usize = 16;

/// One key as `DUMP` gives it, with the milliseconds it had left (`None`
/// for a key without a TTL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpedKey {
    /// The database it lives in (`SELECT n`).
    #[serde(default)]
    pub db: usize,
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
    pub ttl_ms: Option<i64>,
}

/// A node's data at a moment of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeKeys {
    /// The node's own clock then, in ms (what its TTLs count from).
    pub node_ms: i64,
    /// Every database's keys, sorted by database then key.
    pub keys: Vec<DumpedKey>,
    /// The script cache's bodies (Redis has no command that lists them),
    /// for `SCRIPT LOAD`, so that EVALSHA works where the run's did.
    pub scripts: Vec<Vec<u8>>,
    /// `FUNCTION DUMP`'s payload, when the node had libraries.
    pub functions: Option<Vec<u8>>,
}

impl World {
    /// Node `name`'s keys as they are now; `None` for no such node or a
    /// node that is down.
    pub fn node_keys(&mut self, name: &str) -> Option<NodeKeys> {
        let now = self.now;
        let node = self
            .nodes
            .iter_mut()
            .find(|n| n.spec.name == name && n.up)?;
        let now_ms = node.now_ms(now);
        let engine = &mut node.engine;
        let id = engine.connect(DUMP_ADDR, now_ms);
        let mut run = |args: &[&[u8]]| {
            let args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
            engine.execute(id, &args, now_ms).reply
        };
        let mut keys = Vec::new();
        for db in 0..DATABASES {
            let index = db.to_string();
            if !matches!(run(&[b"SELECT", index.as_bytes()]), Reply::Status(_)) {
                continue;
            }
            let names: Vec<Vec<u8>> = match &run(&[b"KEYS", b"*"]) {
                Reply::Array(items) => items
                    .iter()
                    .filter_map(|item| match item {
                        Reply::Bulk(key) => Some(key.clone()),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            for key in names {
                let payload = match &run(&[b"DUMP", &key]) {
                    Reply::Bulk(payload) => payload.clone(),
                    _ => continue,
                };
                let ttl_ms = match &run(&[b"PTTL", &key]) {
                    Reply::Integer(ms) if *ms >= 0 => Some(*ms),
                    _ => None,
                };
                keys.push(DumpedKey {
                    db,
                    key,
                    payload,
                    ttl_ms,
                });
            }
        }
        let functions = match &run(&[b"FUNCTION", b"LIST"]) {
            Reply::Array(libraries) if !libraries.is_empty() => {
                match &run(&[b"FUNCTION", b"DUMP"]) {
                    Reply::Bulk(payload) => Some(payload.clone()),
                    _ => None,
                }
            }
            _ => None,
        };
        engine.disconnect(id);
        let scripts = engine.cached_scripts();
        keys.sort_by(|a, b| (a.db, &a.key).cmp(&(b.db, &b.key)));
        Some(NodeKeys {
            node_ms: now_ms,
            keys,
            scripts,
            functions,
        })
    }
}
