//! Deep links: the part of the address after `#` names a story, a seed and
//! a step (`#story=gc_pause_past_ttl&seed=1&step=77`), so an instructor can
//! put one exact moment of one run on a slide. Runs are deterministic, so
//! the link needs nothing else to reproduce the view.
//!
//! Links get pasted, truncated and hand-edited, so parsing never fails: it
//! keeps what it understood and lists, in words, what it could not use.

use std::fmt::Write;

use super::edits::Edit;

/// What a link asks for. Every part is optional: the lab fills the gaps
/// with the story's own seed and the first step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeepLink {
    /// A story's file stem, e.g. `gc_pause_past_ttl`.
    pub story: Option<String>,
    pub seed: Option<u64>,
    /// An event's `seq` in the run's trace.
    pub step: Option<u64>,
    /// The view is the explorer's counterexample, not the story as written:
    /// opening the link runs "Break it" again (it is deterministic too).
    pub explore: bool,
    /// The visitor's edits to the story (see [`super::edits`]).
    pub edit: Option<Edit>,
}

/// A parsed link and what could not be used from it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedLink {
    pub link: DeepLink,
    /// Each a short sentence, e.g. `seed "abc" is not a whole number`.
    pub problems: Vec<String>,
}

/// Longest hash worth reading; anything longer is not a link we made (an
/// edit carries only the stretch that changed).
const MAX_LEN: usize = 100_000;

/// Longest piece of a bad link quoted back in a message.
const MAX_QUOTE: usize = 40;

/// Reads a location hash (with or without its leading `#`).
pub fn parse(hash: &str) -> ParsedLink {
    let mut parsed = ParsedLink::default();
    let text = hash.strip_prefix('#').unwrap_or(hash).trim();
    if text.is_empty() {
        return parsed;
    }
    if text.len() > MAX_LEN {
        parsed
            .problems
            .push(format!("it is {} characters long", text.len()));
        return parsed;
    }
    for piece in text.split('&').filter(|p| !p.is_empty()) {
        let Some((key, raw)) = piece.split_once('=') else {
            parsed.problems.push(format!(
                "\u{201c}{}\u{201d} is not name=value",
                quote(piece)
            ));
            continue;
        };
        let Some(value) = decode(raw) else {
            parsed
                .problems
                .push(format!("{}'s value is not valid text", quote(key)));
            continue;
        };
        let link = &mut parsed.link;
        match key {
            "story" if is_story_name(&value) => link.story = Some(value),
            "story" => parsed.problems.push(format!(
                "\u{201c}{}\u{201d} is not a story name",
                quote(&value)
            )),
            "seed" => match value.parse() {
                Ok(seed) => link.seed = Some(seed),
                Err(_) => parsed.problems.push(format!(
                    "seed \u{201c}{}\u{201d} is not a whole number",
                    quote(&value)
                )),
            },
            "step" => match value.parse() {
                Ok(step) => link.step = Some(step),
                Err(_) => parsed.problems.push(format!(
                    "step \u{201c}{}\u{201d} is not a whole number",
                    quote(&value)
                )),
            },
            "explore" => match value.as_str() {
                "1" | "true" | "yes" => link.explore = true,
                "0" | "false" | "no" => link.explore = false,
                _ => parsed.problems.push(format!(
                    "explore \u{201c}{}\u{201d} is not 1 or 0",
                    quote(&value)
                )),
            },
            "edit" => match Edit::decode(&value) {
                Ok(edit) => link.edit = Some(edit),
                Err(why) => parsed
                    .problems
                    .push(format!("the edits could not be read: {why}")),
            },
            other => parsed.problems.push(format!(
                "\u{201c}{}\u{201d} is not a link part",
                quote(other)
            )),
        }
    }
    parsed
}

/// The hash for a view: `#story=NAME&seed=N&step=N`, plus `&explore=1`
/// when the view is the explorer's counterexample.
pub fn format(link: &DeepLink) -> String {
    let mut out = String::from("#");
    let mut sep = "";
    if let Some(story) = &link.story {
        let _ = write!(out, "story={}", encode(story));
        sep = "&";
    }
    if let Some(seed) = link.seed {
        let _ = write!(out, "{sep}seed={seed}");
        sep = "&";
    }
    if link.explore {
        let _ = write!(out, "{sep}explore=1");
        sep = "&";
    }
    if let Some(edit) = &link.edit {
        let _ = write!(out, "{sep}edit={}", edit.encode());
        sep = "&";
    }
    if let Some(step) = link.step {
        let _ = write!(out, "{sep}step={step}");
    }
    out
}

/// Story names are file stems: letters, digits, `_`, `-`. Anything else
/// cannot name a story, and echoing it into the page would invite mischief.
fn is_story_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Percent-decoding; `None` for broken escapes or bytes that are not UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.') {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// A piece of a bad link, short enough to quote in a sentence.
fn quote(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(MAX_QUOTE).collect();
    if chars.next().is_some() {
        format!("{head}\u{2026}")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(story: &str, seed: u64, step: u64) -> DeepLink {
        DeepLink {
            story: Some(story.into()),
            seed: Some(seed),
            step: Some(step),
            explore: false,
            edit: None,
        }
    }

    #[test]
    fn a_full_link_reads_back() {
        let parsed = parse("#story=gc_pause_past_ttl&seed=1&step=42");
        assert_eq!(parsed.link, link("gc_pause_past_ttl", 1, 42));
        assert!(parsed.problems.is_empty());
    }

    #[test]
    fn format_and_parse_agree() {
        let mut wanted = link("clock_jump", 7, 0);
        assert_eq!(format(&wanted), "#story=clock_jump&seed=7&step=0");
        assert_eq!(parse(&format(&wanted)).link, wanted);
        wanted.explore = true;
        assert_eq!(format(&wanted), "#story=clock_jump&seed=7&explore=1&step=0");
        assert_eq!(parse(&format(&wanted)).link, wanted);
    }

    #[test]
    fn an_empty_hash_is_no_link_and_no_problem() {
        for hash in ["", "#", "  "] {
            let parsed = parse(hash);
            assert_eq!(parsed.link, DeepLink::default());
            assert!(parsed.problems.is_empty(), "{hash:?}");
        }
    }

    #[test]
    fn garbage_keeps_what_it_can_and_says_what_it_cannot() {
        let parsed = parse("#story=clock_jump&seed=banana&step=-3&zoom=2&hello");
        assert_eq!(parsed.link.story.as_deref(), Some("clock_jump"));
        assert_eq!(parsed.link.seed, None);
        assert_eq!(parsed.link.step, None);
        assert_eq!(
            parsed.problems,
            vec![
                "seed \u{201c}banana\u{201d} is not a whole number",
                "step \u{201c}-3\u{201d} is not a whole number",
                "\u{201c}zoom\u{201d} is not a link part",
                "\u{201c}hello\u{201d} is not name=value",
            ]
        );
    }

    #[test]
    fn story_names_with_markup_or_paths_are_refused() {
        for bad in ["%3Cscript%3E", "..%2Fetc", "a%20b", "%FF"] {
            let parsed = parse(&format!("#story={bad}"));
            assert_eq!(parsed.link.story, None, "{bad}");
            assert_eq!(parsed.problems.len(), 1, "{bad}");
        }
    }

    #[test]
    fn an_edit_reads_back_and_a_forged_one_is_named() {
        let edit = Edit {
            start: 3,
            removed: 2,
            inserted: "x = \"é\" & y".into(),
        };
        let mut full = link("gc_pause_past_ttl", 1, 7);
        full.edit = Some(edit);
        let parsed = parse(&format(&full));
        assert_eq!(parsed.problems, Vec::<String>::new());
        assert_eq!(parsed.link, full);
        let forged = parse("#story=gc_pause_past_ttl&edit=1.2.%21");
        assert_eq!(forged.link.edit, None);
        assert!(forged.problems[0].starts_with("the edits could not be read"));
    }

    #[test]
    fn broken_escapes_and_huge_hashes_do_not_panic() {
        assert_eq!(parse("#story=%4").problems.len(), 1);
        assert_eq!(parse("#story=%zz").problems.len(), 1);
        assert_eq!(parse("#seed=99999999999999999999999").problems.len(), 1);
        let huge = format!("#story={}", "a".repeat(MAX_LEN));
        let parsed = parse(&huge);
        assert_eq!(parsed.link, DeepLink::default());
        assert_eq!(
            parsed.problems,
            vec![format!("it is {} characters long", MAX_LEN + 6)]
        );
        let long_word = "x".repeat(300);
        let quoted = &parse(&format!("#{long_word}=1")).problems[0];
        assert!(quoted.chars().count() < 80, "{quoted}");
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(
            parse("#story=gc%5Fpause").link.story.as_deref(),
            Some("gc_pause")
        );
    }
}
