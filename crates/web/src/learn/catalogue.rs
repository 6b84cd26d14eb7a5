//! The lessons the player opens: every embedded lesson that parses, by
//! track, and which lessons' myths were checked against a real Redis.
//! (The home lists lessons from summaries instead: [`super::listing`].)

use std::collections::BTreeSet;
use std::rc::Rc;

use lockstep_lessons::lesson::{Difficulty, Lesson};

/// The tracks in the order the home lists them, with their headings.
pub const TRACKS: &[(&str, &str)] = &[
    ("locks", "Locks"),
    ("lua", "Lua scripting"),
    ("patterns", "Patterns"),
    ("capstones", "Capstones"),
];

/// The lesson a first visit is pointed at.
pub const START_HERE: &str = "locks/setnx-then-expire";

/// One lesson, parsed.
#[derive(Clone, Debug)]
pub struct Entry {
    pub lesson: Rc<Lesson>,
    /// The file's key (`locks/01-setnx-then-expire`), for `checked.json`.
    pub file: &'static str,
}

impl Entry {
    pub fn id(&self) -> &str {
        &self.lesson.meta.id
    }
}

/// Every lesson that parses, in track order then `order`. A lesson that
/// does not parse is left out (`lockstep check` is where authors see why).
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub entries: Vec<Entry>,
    /// Lesson files whose myth transcripts matched a real Redis.
    checked: BTreeSet<String>,
    /// What `checked.json` says it was checked against (`Redis 7.0`).
    pub checked_against: String,
}

impl Catalogue {
    pub fn load() -> Catalogue {
        let mut entries: Vec<Entry> = lockstep_lessons::lessons()
            .into_iter()
            .filter_map(|(file, parsed)| {
                parsed.ok().map(|lesson| Entry {
                    lesson: Rc::new(lesson),
                    file,
                })
            })
            .collect();
        let track_rank = |track: &str| {
            TRACKS
                .iter()
                .position(|(t, _)| *t == track)
                .unwrap_or(TRACKS.len())
        };
        entries.sort_by(|a, b| {
            (
                track_rank(&a.lesson.meta.track),
                a.lesson.meta.order,
                a.id(),
            )
                .cmp(&(
                    track_rank(&b.lesson.meta.track),
                    b.lesson.meta.order,
                    b.id(),
                ))
        });
        let (checked, checked_against) = read_checked(lockstep_lessons::CHECKED_JSON);
        Catalogue {
            entries,
            checked,
            checked_against,
        }
    }

    pub fn find(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id() == id)
    }

    /// The tracks that have lessons, with their lessons.
    pub fn tracks(&self) -> Vec<(&'static str, &'static str, Vec<&Entry>)> {
        TRACKS
            .iter()
            .map(|(track, title)| {
                let lessons = self
                    .entries
                    .iter()
                    .filter(|e| e.lesson.meta.track == *track)
                    .collect::<Vec<_>>();
                (*track, *title, lessons)
            })
            .filter(|(_, _, lessons)| !lessons.is_empty())
            .collect()
    }

    /// Whether the lesson's myths were replayed against a real Redis and
    /// matched byte for byte.
    pub fn checked(&self, entry: &Entry) -> bool {
        self.checked.contains(&format!("{}.md", entry.file))
    }
}

/// The matched lesson files in `checked.json`, and what they were checked
/// against. A file that does not read claims nothing.
fn read_checked(json: &str) -> (BTreeSet<String>, String) {
    #[derive(serde::Deserialize)]
    struct Checked {
        checked_against: String,
        lessons: std::collections::BTreeMap<String, Result_>,
    }
    #[derive(serde::Deserialize)]
    struct Result_ {
        matched: bool,
    }
    match serde_json::from_str::<Checked>(json) {
        Ok(checked) => (
            checked
                .lessons
                .into_iter()
                .filter(|(_, r)| r.matched)
                .map(|(file, _)| file)
                .collect(),
            checked.checked_against,
        ),
        Err(_) => (BTreeSet::new(), String::new()),
    }
}

pub fn difficulty(difficulty: Difficulty) -> &'static str {
    match difficulty {
        Difficulty::Beginner => "beginner",
        Difficulty::Intermediate => "intermediate",
        Difficulty::Advanced => "advanced",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_track_is_listed_in_order_and_start_here_exists() {
        let catalogue = Catalogue::load();
        let tracks = catalogue.tracks();
        assert_eq!(tracks[0].0, "locks");
        let orders: Vec<u32> = tracks[0].2.iter().map(|e| e.lesson.meta.order).collect();
        let mut sorted = orders.clone();
        sorted.sort_unstable();
        assert_eq!(orders, sorted);
        assert!(catalogue.find(START_HERE).is_some());
        assert!(catalogue.find("locks/no-such-lesson").is_none());
    }

    #[test]
    fn checked_json_is_read_per_lesson_and_garbage_claims_nothing() {
        let (files, against) = read_checked(
            r#"{"checked_against":"Redis 7.0","lessons":{"locks/a.md":{"matched":true},"locks/b.md":{"matched":false}}}"#,
        );
        assert_eq!(against, "Redis 7.0");
        assert_eq!(files.into_iter().collect::<Vec<_>>(), vec!["locks/a.md"]);
        assert!(read_checked("not json").0.is_empty());
    }
}
