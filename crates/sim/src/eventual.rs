//! Invariants about where the world ends up rather than every step:
//! "cache equals database", "replica equals primary", "key K equals V" —
//! checked once the run is over and the world has settled — and bounded
//! staleness, "the cache is never stale for more than N ms", checked as
//! the run goes.
//!
//! All of them compare data in a [`WorldState`], the snapshot a learner
//! sees, so a verdict can always be checked by stepping to it.

use std::collections::BTreeMap;

use crate::scenario::InvariantSpec;
use crate::trace::WorldState;

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
pub fn check_end(spec: &InvariantSpec, state: &WorldState) -> Result<(), String> {
    let differences: Vec<String> = match spec {
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
