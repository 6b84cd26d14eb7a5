//! `lessons/checked.json`: which lessons' myth transcripts a real
//! redis-server answered exactly as written, and the fidelity badge
//! ("checked against Redis 7.0") that follows from it.
//!
//! The differential suite replays every lesson's myth transcripts on a
//! fresh redis-server and records per lesson file whether all replies
//! matched, with a digest of the transcripts it replayed
//! ([`transcripts_digest`]). A lesson earns the badge only when its
//! record matched *and* the digest is that of the transcripts the lesson
//! has now: a transcript edited since the suite last ran has not been
//! checked, so the badge goes until the suite runs again.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::lesson::{Lesson, Myth};

/// `checked.json`, read. A file that does not read claims nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    /// What the transcripts were replayed on (`Redis 7.0`).
    pub against: String,
    lessons: BTreeMap<String, Record>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Record {
    matched: bool,
    /// [`transcripts_digest`] of the transcripts replayed; records
    /// written before digests existed have none and earn no badge.
    #[serde(default)]
    transcripts: Option<String>,
}

#[derive(Deserialize)]
struct File {
    checked_against: String,
    lessons: BTreeMap<String, Record>,
}

impl Checked {
    pub fn read(json: &str) -> Checked {
        match serde_json::from_str::<File>(json) {
            Ok(file) => Checked {
                against: file.checked_against,
                lessons: file.lessons,
            },
            Err(_) => Checked::default(),
        }
    }

    /// The shipped `checked.json`.
    pub fn shipped() -> Checked {
        Checked::read(crate::CHECKED_JSON)
    }

    /// Whether `lesson`, from `file` (`locks/01-setnx-then-expire.md`),
    /// shows the badge: it has myths, the suite's record of the file
    /// matched, and it recorded these very transcripts.
    pub fn badge(&self, file: &str, lesson: &Lesson) -> bool {
        !lesson.myths.is_empty()
            && self.lessons.get(file).is_some_and(|r| {
                r.matched && r.transcripts.as_deref() == Some(&transcripts_digest(&lesson.myths))
            })
    }
}

/// A digest of the myth transcripts as replayed: every command's
/// arguments and the reply written under it, myth by myth (64-bit FNV-1a,
/// in hex: enough to notice an edit; not a defence against forgery).
/// Claims, truths and line numbers are left out: rewording the prose
/// does not unsettle what Redis was asked.
pub fn transcripts_digest(myths: &[Myth]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // A separator no argument can fake: the length.
        for b in (bytes.len() as u64).to_le_bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for myth in myths {
        feed(b"myth");
        for step in &myth.steps {
            for arg in &step.args {
                feed(arg);
            }
            feed(b"reply");
            feed(step.reply.as_bytes());
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped_lesson(file: &str) -> (String, Lesson) {
        let stem = file.trim_end_matches(".md");
        let text = crate::LESSONS
            .iter()
            .find(|(name, _)| *name == stem)
            .map(|(_, text)| text.to_string())
            .unwrap_or_else(|| panic!("no lesson {file}"));
        let lesson = Lesson::parse(&text).unwrap();
        (text, lesson)
    }

    #[test]
    fn every_lesson_the_suite_matched_shows_the_badge() {
        let checked = Checked::shipped();
        assert_eq!(checked.against, "Redis 7.0");
        let matched: Vec<&String> = checked
            .lessons
            .iter()
            .filter(|(_, r)| r.matched)
            .map(|(f, _)| f)
            .collect();
        assert!(matched.len() >= 10, "{}", matched.len());
        for file in matched {
            let (_, lesson) = shipped_lesson(file);
            assert!(
                checked.badge(file, &lesson),
                "{file}: checked.json records other transcripts; run the differential suite \
                 with LOCKSTEP_BLESS=1"
            );
        }
    }

    #[test]
    fn the_badge_disappears_when_a_transcript_is_altered() {
        let checked = Checked::shipped();
        let file = "locks/01-setnx-then-expire.md";
        let (text, lesson) = shipped_lesson(file);
        assert!(checked.badge(file, &lesson));
        let step = &lesson.myths[0].steps[0];
        // The same lesson with one reply in a transcript changed.
        let reply_line = text.lines().nth(step.line).unwrap();
        assert_eq!(
            reply_line.trim(),
            step.reply.trim(),
            "the reply follows its command"
        );
        let mut lines: Vec<&str> = text.lines().collect();
        let altered_reply = format!("{reply_line} (altered)");
        lines[step.line] = &altered_reply;
        let altered = Lesson::parse(&lines.join("\n")).unwrap();
        assert_ne!(altered.myths, lesson.myths);
        assert!(!checked.badge(file, &altered));
        // A changed command unsettles it too; prose does not.
        let altered =
            Lesson::parse(&text.replacen(&step.command, &format!("{} extra", step.command), 1))
                .unwrap();
        assert!(!checked.badge(file, &altered));
        let reworded = text.replacen(&lesson.myths[0].truth, "Reworded truth.", 1);
        assert!(checked.badge(file, &Lesson::parse(&reworded).unwrap()));
    }

    #[test]
    fn unmatched_unrecorded_and_unreadable_records_show_nothing() {
        let (_, lesson) = shipped_lesson("locks/01-setnx-then-expire.md");
        let digest = transcripts_digest(&lesson.myths);
        let file = "locks/01-setnx-then-expire.md";
        let json = |matched: bool, digest: &str| {
            format!(
                r#"{{"checked_against":"Redis 7.0","lessons":{{"{file}":{{"matched":{matched}{digest}}}}}}}"#
            )
        };
        assert!(
            Checked::read(&json(true, &format!(",\"transcripts\":\"{digest}\"")))
                .badge(file, &lesson)
        );
        assert!(
            !Checked::read(&json(false, &format!(",\"transcripts\":\"{digest}\"")))
                .badge(file, &lesson)
        );
        assert!(!Checked::read(&json(true, "")).badge(file, &lesson));
        assert!(!Checked::read("not json").badge(file, &lesson));
        assert!(
            !Checked::read(&json(true, &format!(",\"transcripts\":\"{digest}\"")))
                .badge("locks/other.md", &lesson)
        );
    }
}
