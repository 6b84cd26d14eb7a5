//! Invariants about where the world ends up rather than every step:
//! "cache equals database", "replica equals primary", "key K equals V" —
//! checked once the run is over and the world has settled — and bounded
//! staleness, "the cache is never stale for more than N ms", checked as
//! the run goes.
//!
//! All of them compare data in a [`WorldState`], the snapshot a learner
//! sees, so a verdict can always be checked by stepping to it.

use std::collections::BTreeMap;

use lockstep_engine::Reply;

use crate::scenario::InvariantSpec;
use crate::trace::{Time, WorldState};

/// What clients were told their writes did, for the end-of-run checks
/// that compare it with where the world ended up: the `SET key value`
/// commands sent and which were acknowledged (`OK` reached the program in
/// time), for `acknowledged_writes`; the `PUBLISH`es answered with at
/// least one receiver, and the messages subscribers' programs took, for
/// `acknowledged_messages`. Kept only when a scenario asks for one of
/// those checks.
#[derive(Clone, Debug, Default)]
pub struct Writes {
    sent: BTreeMap<u64, SentWrite>,
    /// Message ids, in the order their `OK` arrived.
    acknowledged: Vec<u64>,
    /// `PUBLISH channel data` commands sent, by message id.
    published: BTreeMap<u64, Published>,
    /// Message ids of the `PUBLISH`es answered with a receiver count of at
    /// least one, in the order the answers arrived.
    heard: Vec<u64>,
    /// Each message a subscriber's program took (`next_message` returned
    /// it): the subscriber, the channel, the data.
    taken: Vec<(String, Vec<u8>, Vec<u8>)>,
}

#[derive(Clone, Debug)]
struct SentWrite {
    key: String,
    value: Vec<u8>,
    sent_at: Time,
}

#[derive(Clone, Debug)]
struct Published {
    channel: Vec<u8>,
    data: Vec<u8>,
}

impl Writes {
    /// A client sent `args` as message `msg`; a plain `SET k v ...` and a
    /// `PUBLISH channel data` are kept.
    pub fn sent(&mut self, msg: u64, args: &[Vec<u8>], now: Time) {
        if args.len() == 3 && args[0].eq_ignore_ascii_case(b"PUBLISH") {
            self.published.insert(
                msg,
                Published {
                    channel: args[1].clone(),
                    data: args[2].clone(),
                },
            );
        }
        if args.len() >= 3 && args[0].eq_ignore_ascii_case(b"SET") {
            self.sent.insert(
                msg,
                SentWrite {
                    key: String::from_utf8_lossy(&args[1]).into_owned(),
                    value: args[2].clone(),
                    sent_at: now,
                },
            );
        }
    }

    /// The reply to `msg` reached the program.
    pub fn replied(&mut self, msg: u64, reply: &Reply) {
        if self.sent.contains_key(&msg) && matches!(reply, Reply::Status(s) if s == "OK") {
            self.acknowledged.push(msg);
        }
        if self.published.contains_key(&msg) && matches!(reply, Reply::Integer(n) if *n >= 1) {
            self.heard.push(msg);
        }
    }

    /// `subscriber`'s program took a message (`next_message` returned it).
    pub fn taken(&mut self, subscriber: &str, channel: &[u8], data: &[u8]) {
        self.taken
            .push((subscriber.to_string(), channel.to_vec(), data.to_vec()));
    }

    /// Every message published on `channel` whose `PUBLISH` was answered
    /// with at least one receiver but that `subscriber`'s program never
    /// took. Each acknowledged `PUBLISH` needs a take of its own: the same
    /// data published twice must be taken twice.
    fn missed(&self, subscriber: &str, channel: &str) -> Vec<String> {
        let mut takes: BTreeMap<&[u8], usize> = BTreeMap::new();
        for (who, on, data) in &self.taken {
            if who == subscriber && on.as_slice() == channel.as_bytes() {
                *takes.entry(data.as_slice()).or_default() += 1;
            }
        }
        let mut out = Vec::new();
        for msg in &self.heard {
            let Some(publish) = self.published.get(msg) else {
                continue;
            };
            if publish.channel.as_slice() != channel.as_bytes() {
                continue;
            }
            match takes.get_mut(publish.data.as_slice()) {
                Some(left) if *left > 0 => *left -= 1,
                _ => out.push(format!(
                    "PUBLISH {channel} {} reached a subscriber, but {subscriber} never got it",
                    crate::trace::quote(&publish.data)
                )),
            }
        }
        out
    }

    /// Every key whose last acknowledged write is missing from `node`:
    /// the key must hold that write's value or that of a write sent after
    /// it (which may have landed later without its `OK` arriving).
    fn lost(&self, state: &WorldState, node: &str) -> Vec<String> {
        let Some(keys) = keys_of(state, node) else {
            return vec![format!("{node} is down")];
        };
        let mut last: BTreeMap<&str, &SentWrite> = BTreeMap::new();
        for msg in &self.acknowledged {
            if let Some(write) = self.sent.get(msg) {
                last.insert(write.key.as_str(), write);
            }
        }
        let mut out = Vec::new();
        for (key, acked) in last {
            let have = keys.get(key);
            let kept = self.sent.values().any(|w| {
                w.key == key
                    && w.sent_at >= acked.sent_at
                    && have.is_some_and(|(kind, bytes)| kind == "string" && bytes == &w.value)
            });
            if !kept {
                out.push(format!(
                    "SET {key} {} was acknowledged, but {key} is {} on {node}",
                    crate::trace::quote(&acked.value),
                    shown(have)
                ));
            }
        }
        out
    }
}

/// A key's content for comparisons: its type and exact bytes (strings) or
/// display text (other types).
type Content = (String, Vec<u8>);

fn keys_of(state: &WorldState, node: &str) -> Option<BTreeMap<String, Content>> {
    let node = state.nodes.get(node)?;
    Some(
        node.keys
            .iter()
            .map(|k| {
                let bytes = match &k.bytes {
                    Some(b) => b.0.clone(),
                    None => k.value.clone().into_bytes(),
                };
                (k.key.clone(), (k.kind.clone(), bytes))
            })
            .collect(),
    )
}

fn shown(content: Option<&Content>) -> String {
    match content {
        None => "(nil)".into(),
        Some((_, bytes)) => crate::trace::quote(bytes),
    }
}

/// Whether the invariant is checked when the run ends (after the world
/// settles) rather than after every event.
pub fn at_end(spec: &InvariantSpec) -> bool {
    matches!(
        spec,
        InvariantSpec::KeyEquals { .. }
            | InvariantSpec::CacheMatchesDatabase { .. }
            | InvariantSpec::ReplicasMatch { .. }
            | InvariantSpec::AcknowledgedWrites { .. }
            | InvariantSpec::AcknowledgedMessages { .. }
    )
}

/// The keys where `node` disagrees with `of` (a node, or a database whose
/// rows it caches), each with a sentence saying how. A cache that lacks a
/// row agrees (a miss is not stale); a node that lacks its primary's key
/// does not.
pub fn disagreements(
    state: &WorldState,
    node: &str,
    of: &str,
    cache_prefix: &str,
    row_prefix: &str,
) -> Vec<(String, String)> {
    let Some(mine) = keys_of(state, node) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(database) = state.databases.get(of) {
        let rows: BTreeMap<&str, &str> = database
            .rows
            .iter()
            .map(|r| (r.key.as_str(), r.value.as_str()))
            .collect();
        for (key, content) in &mine {
            let Some(suffix) = key.strip_prefix(cache_prefix) else {
                continue;
            };
            let row = format!("{row_prefix}{suffix}");
            let same = rows
                .get(row.as_str())
                .is_some_and(|v| content.0 == "string" && content.1 == v.as_bytes());
            if !same {
                let theirs = rows
                    .get(row.as_str())
                    .map(|v| crate::trace::quote(v.as_bytes()))
                    .unwrap_or_else(|| "no row".into());
                out.push((
                    key.clone(),
                    format!(
                        "{key} on {node} is {} but {of}'s {row} is {theirs}",
                        shown(Some(content))
                    ),
                ));
            }
        }
        return out;
    }
    let Some(theirs) = keys_of(state, of) else {
        return out;
    };
    let mut all: Vec<&String> = mine.keys().chain(theirs.keys()).collect();
    all.sort();
    all.dedup();
    for key in all {
        let (a, b) = (mine.get(key), theirs.get(key));
        if a != b {
            out.push((
                key.clone(),
                format!("{key} is {} on {node} but {} on {of}", shown(a), shown(b)),
            ));
        }
    }
    out
}

/// Checks an end-of-run invariant on the settled world; `Err` says what
/// differs (the first few differences).
pub fn check_end(spec: &InvariantSpec, state: &WorldState, writes: &Writes) -> Result<(), String> {
    let differences: Vec<String> = match spec {
        InvariantSpec::AcknowledgedWrites { node } => {
            // After a failover the data lives on the promoted replica.
            let primary = state
                .nodes
                .iter()
                .find(|(name, n)| *name == node && n.up && n.role == "primary")
                .or_else(|| {
                    state
                        .nodes
                        .iter()
                        .find(|(_, n)| n.up && n.role == "primary")
                })
                .map(|(name, _)| name.as_str())
                .unwrap_or(node);
            writes.lost(state, primary)
        }
        InvariantSpec::AcknowledgedMessages {
            subscriber,
            channel,
        } => writes.missed(subscriber, channel),
        InvariantSpec::KeyEquals { node, key, value } => {
            let have = keys_of(state, node).and_then(|keys| keys.get(key).cloned());
            match &have {
                Some((kind, bytes)) if kind == "string" && bytes == value.as_bytes() => vec![],
                _ => vec![format!(
                    "{key} on {node} is {}, not {}",
                    shown(have.as_ref()),
                    crate::trace::quote(value.as_bytes())
                )],
            }
        }
        InvariantSpec::CacheMatchesDatabase {
            node,
            database,
            cache_prefix,
            row_prefix,
        } => disagreements(state, node, database, cache_prefix, row_prefix)
            .into_iter()
            .map(|(_, m)| m)
            .collect(),
        InvariantSpec::ReplicasMatch { primary } => {
            let role = format!("replica of {primary}");
            state
                .nodes
                .iter()
                .filter(|(_, n)| n.up && n.role == role)
                .flat_map(|(name, _)| disagreements(state, name, primary, "", ""))
                .map(|(_, m)| m)
                .collect()
        }
        _ => vec![],
    };
    if differences.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = differences.iter().take(3).map(String::as_str).collect();
    let more = differences.len().saturating_sub(3);
    Err(format!(
        "when the run ended, {}{}",
        shown.join("; "),
        if more > 0 {
            format!(" (and {more} more)")
        } else {
            String::new()
        }
    ))
}
