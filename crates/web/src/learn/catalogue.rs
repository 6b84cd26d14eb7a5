//! The lessons the player opens: every embedded lesson that parses, by
//! track, and which lessons' myths were checked against a real Redis.
//! (The home lists lessons from summaries instead: [`super::listing`].)

use std::rc::Rc;

use lockstep_lessons::checked::Checked;
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
    /// Lesson files whose myth transcripts matched a real Redis, as
    /// `checked.json` records them.
    checked: Checked,
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
        let checked = Checked::shipped();
        let checked_against = checked.against.clone();
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

    /// Whether the lesson's myths, as they are now, were replayed against
    /// a real Redis and matched byte for byte (the fidelity badge).
    pub fn checked(&self, entry: &Entry) -> bool {
        self.checked
            .badge(&format!("{}.md", entry.file), &entry.lesson)
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
    fn lessons_the_suite_matched_show_the_badge_and_others_do_not() {
        let catalogue = Catalogue::load();
        assert_eq!(catalogue.checked_against, "Redis 7.0");
        let with_badge = catalogue
            .entries
            .iter()
            .filter(|e| catalogue.checked(e))
            .count();
        assert!(with_badge >= 10, "{with_badge}");
        // A lesson without myths has nothing to check: no badge.
        let no_myths = catalogue
            .entries
            .iter()
            .find(|e| e.lesson.myths.is_empty())
            .unwrap();
        assert!(!catalogue.checked(no_myths));
    }
}
