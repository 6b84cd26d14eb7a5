//! What a lesson reads from a trace: an event's kind, the key it concerns,
//! the text it shows, a reply, who holds a section, a key's value.
//!
//! Every question and selector goes through these functions, so that when
//! the trace carries exact values (bytes beside display text) only this
//! file changes.

use lockstep_sim::trace::{Event, Verdict, VerdictKind, What};
use lockstep_sim::Trace;

/// Every event kind a selector may name, as the trace spells `type`.
pub const KINDS: &[&str] = lockstep_sim::trace::EVENT_TYPES;

/// The event's `type` in the trace.
pub fn kind(what: &What) -> &'static str {
    what.type_name()
}

/// The text a `text="..."` selector searches: the command, reply, log
/// line, section name, error or reason the event shows.
pub fn text(what: &What) -> String {
    what.text()
}

/// The key an event concerns: the expired key, or the first argument of a
/// command sent or run (`SET lock:x ...` concerns `lock:x`).
pub fn key(what: &What) -> Option<String> {
    what.key()
}

/// The reply an event shows: what a client received, or what a node
/// answered. `None` for other events.
pub fn reply(event: &Event, trace: &Trace) -> Option<String> {
    match &event.what {
        What::Receive { text, .. } => Some(text.clone()),
        What::Exec { reply, .. } => Some(reply.clone()),
        What::Busy { reply, .. } => Some(reply.clone()),
        What::Write {
            accepted, detail, ..
        } => Some(if *accepted {
            "accepted".to_string()
        } else {
            detail.clone()
        }),
        // A send's reply is the receive of the same message.
        What::Send { msg, .. } => trace.events.iter().find_map(|e| match &e.what {
            What::Receive { msg: m, text, .. } if m == msg && e.actor == event.actor => {
                Some(text.clone())
            }
            _ => None,
        }),
        _ => None,
    }
}

/// Who is inside `section` right after event `seq`, in the trace's order;
/// empty when nobody is.
pub fn holders(trace: &Trace, seq: u64, section: &str) -> Vec<String> {
    trace
        .state_at(seq)
        .and_then(|s| s.holders.get(section).cloned())
        .unwrap_or_default()
}

/// `key`'s value on `node` right after event `seq`, or `None` if the key
/// does not exist. A string is its exact bytes (shown as text, invalid
/// UTF-8 replaced); other types fall back to the timeline's abbreviated
/// display, the only form the trace gives them.
pub fn value(trace: &Trace, seq: u64, node: &str, key: &str) -> Option<String> {
    trace
        .state_at(seq)
        .and_then(|s| s.nodes.get(node))
        .and_then(|n| {
            n.keys.iter().find(|k| match &k.key_bytes {
                Some(exact) => exact.0 == key.as_bytes(),
                None => k.key == key,
            })
        })
        .map(|k| match &k.bytes {
            Some(exact) => String::from_utf8_lossy(&exact.0).into_owned(),
            None => k.value.clone(),
        })
}

/// `key`'s TTL in ms on `node` right after event `seq`: `Some(-1)` for a
/// key without one, `None` if the key does not exist.
pub fn ttl_ms(trace: &Trace, seq: u64, node: &str, key: &str) -> Option<i64> {
    trace
        .state_at(seq)
        .and_then(|s| s.nodes.get(node))
        .and_then(|n| n.keys.iter().find(|k| k.key == key))
        .map(|k| k.ttl_ms.unwrap_or(-1))
}

/// The `seq` of the event where an invariant was first violated, if any
/// (the liveness check is not an invariant: see [`liveness_failure`]).
pub fn first_violation(trace: &Trace) -> Option<u64> {
    trace.first_violation().and_then(|v| v.at_seq)
}

/// The `seq` where the liveness check failed: the failed client's last
/// event, or the run's last (the trace's `at_seq`).
pub fn liveness_failure(trace: &Trace) -> Option<u64> {
    trace
        .verdicts
        .iter()
        .find(|v| v.kind == VerdictKind::Liveness && !v.held)
        .and_then(|v| v.at_seq)
}

/// A verdict's name for lessons, built from its kind and subject (never
/// from its display text): `mutual_exclusion(report)`,
/// `no_stale_writes(storage)`, `rate(api)`, and plain `liveness`.
pub fn verdict_name(verdict: &Verdict) -> String {
    let kind = match verdict.kind {
        VerdictKind::MutualExclusion => "mutual_exclusion",
        VerdictKind::NoStaleWrites => "no_stale_writes",
        VerdictKind::NoDuplicates => "no_duplicates",
        VerdictKind::Rate => "rate",
        VerdictKind::SumConserved => "sum_conserved",
        VerdictKind::Lua => "lua",
        VerdictKind::Metric => "metric",
        VerdictKind::KeyEquals => "key_equals",
        VerdictKind::CacheMatchesDatabase => "cache_matches_database",
        VerdictKind::ReplicasMatch => "replicas_match",
        VerdictKind::AcknowledgedWrites => "acknowledged_writes",
        VerdictKind::AcknowledgedMessages => "acknowledged_messages",
        VerdictKind::StaleAtMost => "stale_at_most",
        VerdictKind::Liveness => return "liveness".to_string(),
    };
    match &verdict.subject {
        Some(subject) => format!("{kind}({subject})"),
        None => kind.to_string(),
    }
}

/// Whether each verdict held, by [`verdict_name`].
pub fn verdicts(trace: &Trace) -> Vec<(String, bool)> {
    trace
        .verdicts
        .iter()
        .map(|v| (verdict_name(v), v.held))
        .collect()
}
