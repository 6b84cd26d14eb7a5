//! A node's keys taken out of a run, as Redis would move them: each key's
//! `DUMP` payload with its `PTTL`. A front end forks a run at a step
//! ([`World::step`] until [`World::events_recorded`] passes it), takes a
//! node's keys with [`World::node_keys`], and `RESTORE`s them into an
//! engine of its own — so nothing it does there can touch the run, and it
//! never needs the node's engine itself.

use lockstep_engine::Reply;
use serde::{Deserialize, Serialize};

use super::World;

/// The address the dump's connection uses on the node.
const DUMP_ADDR: &str = "127.0.0.1:50002";

/// One key as `DUMP` gives it, with the milliseconds it had left (`None`
/// for a key without a TTL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpedKey {
    pub key: Vec<u8>,
    pub payload: Vec<u8>,
    pub ttl_ms: Option<i64>,
}

/// A node's database 0 at a moment of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeKeys {
    /// The node's own clock then, in ms (what its TTLs count from).
    pub node_ms: i64,
    /// Sorted by key.
    pub keys: Vec<DumpedKey>,
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
        let mut keys = Vec::new();
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
                key,
                payload,
                ttl_ms,
            });
        }
        engine.disconnect(id);
        keys.sort_by(|a, b| a.key.cmp(&b.key));
        Some(NodeKeys {
            node_ms: now_ms,
            keys,
        })
    }
}
