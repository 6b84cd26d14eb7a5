//! A "what if" kept in the lesson's link: `#/lesson/ID?step=N&whatif=...`,
//! so reloading or sharing the link shows the same side-by-side.
//!
//! The value is URL-safe base64 of a small JSON object: the variation
//! picked (`preset`), the parameters that differ from the lesson (`values`,
//! by path), and each edited client program as the one stretch that changed
//! ([`crate::lab::edits::Edit`], so a changed TTL costs a few characters,
//! not the program). Links get pasted, cut short and forged, so reading one
//! checks every part against the lesson and says what was wrong; the lesson
//! opens either way.

use std::collections::BTreeMap;

use lockstep_lessons::lesson::Lesson;
use serde::{Deserialize, Serialize};

use super::what_if::{lesson_knobs, presets, read, Changes};
use crate::lab::edits::{base64url, unbase64url, Edit};

/// The query key.
pub const KEY: &str = "whatif";

/// Longest value read (a few edited programs fit easily).
const MAX_LEN: usize = 1_500;

#[derive(Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Linked {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preset: Option<usize>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    values: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    programs: BTreeMap<String, String>,
}

/// The link value of `changes`: only what differs from the lesson; None
/// when nothing does.
pub fn encode(lesson: &Lesson, changes: &Changes) -> Option<String> {
    if changes.is_empty(lesson) {
        return None;
    }
    let knobs = lesson_knobs(lesson);
    let values = changes
        .values
        .iter()
        .filter(|(path, text)| {
            knobs
                .iter()
                .any(|k| &k.path == *path && k.value != text.trim())
        })
        .map(|(path, text)| (path.clone(), text.trim().to_string()))
        .collect();
    let programs = changes
        .programs
        .iter()
        .filter_map(|(client, source)| {
            let original = lesson.programs.iter().find(|p| &p.client == client)?;
            (&original.source != source).then(|| {
                (
                    client.clone(),
                    Edit::between(&original.source, source).encode(),
                )
            })
        })
        .collect();
    let linked = Linked {
        preset: changes.preset,
        values,
        programs,
    };
    let json = serde_json::to_string(&linked).ok()?;
    Some(base64url(json.as_bytes()))
}

/// The changes a link value names, checked against the lesson, or a
/// sentence saying why the link's "what if" cannot be shown.
pub fn decode(lesson: &Lesson, value: &str) -> Result<Changes, String> {
    let why = |reason: String| {
        format!("The link's \u{201c}what if\u{201d} {reason}; the lesson opens without it.")
    };
    if value.len() > MAX_LEN {
        return Err(why(format!("is too long ({} characters)", value.len())));
    }
    let bytes =
        unbase64url(value).ok_or_else(|| why("is not one Lockstep writes (not base64)".into()))?;
    let linked: Linked = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|json| serde_json::from_str(json).ok())
        .ok_or_else(|| why("cannot be read (the link may have been cut short)".into()))?;
    if let Some(preset) = linked.preset {
        let count = presets(lesson).len();
        if preset >= count {
            return Err(why(format!(
                "names variation {} and this lesson has {count}",
                preset + 1
            )));
        }
    }
    let knobs = lesson_knobs(lesson);
    for (path, text) in &linked.values {
        let knob = knobs.iter().find(|k| &k.path == path).ok_or_else(|| {
            why(format!(
                "changes {}, which this lesson does not have",
                quote(path)
            ))
        })?;
        read(knob, text).map_err(|e| why(format!("has a value the lesson cannot take ({e})")))?;
    }
    let mut programs = BTreeMap::new();
    for (client, edit) in &linked.programs {
        let original = lesson
            .programs
            .iter()
            .find(|p| &p.client == client)
            .ok_or_else(|| {
                why(format!(
                    "edits {}, which this lesson does not have",
                    quote(client)
                ))
            })?;
        let source = Edit::decode(edit)
            .and_then(|e| e.apply(&original.source))
            .map_err(|e| {
                why(format!(
                    "has an edit of {client}'s program that does not fit ({e})"
                ))
            })?;
        programs.insert(client.clone(), source);
    }
    Ok(Changes {
        preset: linked.preset,
        values: linked.values,
        programs,
    })
}

/// The value of `whatif=` in a location hash, if any.
pub fn from_hash(hash: &str) -> Option<&str> {
    let (_, query) = hash.split_once('?')?;
    query
        .split('&')
        .find_map(|piece| piece.strip_prefix(KEY)?.strip_prefix('='))
}

/// At most 40 characters of forged text, quoted.
fn quote(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    format!("\u{201c}{cut}\u{201d}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::catalogue::Catalogue;
    use crate::learn::what_if::scenario_text;

    fn lesson() -> std::rc::Rc<Lesson> {
        Catalogue::load()
            .find("locks/gc-pause-past-the-ttl")
            .unwrap()
            .lesson
            .clone()
    }

    #[test]
    fn changed_fields_and_programs_round_trip_through_the_link() {
        let lesson = lesson();
        let client = lesson.programs[0].client.clone();
        let mut changes = Changes::default();
        changes
            .values
            .insert("fault[0].duration_ms".into(), "5000".into());
        changes.programs.insert(
            client.clone(),
            format!("-- changed\n{}", lesson.programs[0].source),
        );
        let value = encode(&lesson, &changes).unwrap();
        assert!(value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        let hash = format!("#/lesson/locks/gc-pause-past-the-ttl?step=4&{KEY}={value}");
        let back = decode(&lesson, from_hash(&hash).unwrap()).unwrap();
        assert_eq!(back, changes);
        // The same scenario runs from the link as from the panel.
        assert_eq!(
            scenario_text(&lesson, &back).unwrap(),
            scenario_text(&lesson, &changes).unwrap()
        );
    }

    #[test]
    fn a_variation_round_trips_and_nothing_changed_writes_nothing() {
        let lesson = lesson();
        assert!(!presets(&lesson).is_empty(), "the lesson has variations");
        let changes = Changes {
            preset: Some(0),
            ..Changes::default()
        };
        let value = encode(&lesson, &changes).unwrap();
        assert_eq!(decode(&lesson, &value).unwrap(), changes);
        assert_eq!(encode(&lesson, &Changes::default()), None);
        assert_eq!(from_hash("#/lesson/a/b?step=3"), None);
    }

    #[test]
    fn forged_or_malformed_links_are_refused_with_a_sentence() {
        let lesson = lesson();
        let forged = |json: &str| base64url(json.as_bytes());
        for (value, says) in [
            ("%%%".to_string(), "not base64"),
            (forged("{\"preset\":"), "cut short"),
            (forged("{\"preset\":99}"), "variation 100"),
            (
                forged("{\"values\":{\"node[7].ttl\":\"1\"}}"),
                "does not have",
            ),
            (
                forged("{\"values\":{\"fault[0].duration_ms\":\"soon\"}}"),
                "not a whole number",
            ),
            (forged("{\"programs\":{\"mallory\":\"0.0.AA\"}}"), "mallory"),
            (
                forged("{\"programs\":{\"client-1\":\"999999.1.AA\"}}"),
                "does not fit",
            ),
            (forged("{\"sneaky\":1}"), "cannot be read"),
            ("A".repeat(5_000), "too long"),
        ] {
            let message = decode(&lesson, &value).unwrap_err();
            assert!(message.contains(says), "{value}: {message}");
            assert!(message.contains("the lesson opens without it"), "{message}");
        }
    }
}
