//! The learner's progress, kept in the browser's `localStorage` as JSON
//! under one key, with a version so a later release can read what an
//! earlier one wrote.
//!
//! Progress must survive anything the store can hold: an older version is
//! migrated; a newer version, or text that is not ours, is never
//! overwritten (the page keeps it aside under [`ASIDE_KEY`] before saving)
//! and the learner is told; a full store loses nothing already saved, and
//! the page says so.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `localStorage` key progress lives under.
pub const KEY: &str = "lockstep.progress";

/// Where text under [`KEY`] that could not be read is kept aside.
pub const ASIDE_KEY: &str = "lockstep.progress.unreadable";

/// The schema this release writes.
pub const VERSION: u32 = 2;

/// Most lessons remembered: the store is small and shared.
const MAX_LESSONS: usize = 500;

/// Everything remembered.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub version: u32,
    /// By lesson id (`locks/gc-pause-past-the-ttl`).
    pub lessons: BTreeMap<String, LessonProgress>,
}

/// One lesson's progress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// The furthest step reached, and the run's last step then.
    pub furthest_step: u64,
    pub last_step: u64,
    /// Per question id: answered right (`true`) or wrong (`false`), the
    /// latest answer counting.
    pub questions: BTreeMap<String, bool>,
    /// The interview walk-through was finished.
    pub interview_done: bool,
}

/// What reading the store gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Loaded {
    pub progress: Progress,
    /// The stored text must be kept aside before anything is saved over it
    /// (it is not ours to drop: garbage, or a newer release's).
    pub keep_aside: bool,
    /// A sentence for the learner when something could not be read.
    pub note: Option<String>,
}

/// Version 1: per lesson the furthest step and two lists of question ids
/// (right, wrong). Version 2 keeps one answer per question (the latest),
/// the run's length (for a percentage) and whether the interview was done.
#[derive(Deserialize)]
struct V1 {
    lessons: BTreeMap<String, V1Lesson>,
}

#[derive(Deserialize)]
struct V1Lesson {
    #[serde(default)]
    steps_seen: u64,
    #[serde(default)]
    right: Vec<String>,
    #[serde(default)]
    wrong: Vec<String>,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            version: VERSION,
            lessons: BTreeMap::new(),
        }
    }

    /// Reads what the store holds under [`KEY`] (`None`: nothing yet).
    pub fn load(stored: Option<&str>) -> Loaded {
        let fresh = |keep_aside: bool, note: Option<String>| Loaded {
            progress: Progress::new(),
            keep_aside,
            note,
        };
        let Some(text) = stored.filter(|t| !t.trim().is_empty()) else {
            return fresh(false, None);
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
            return fresh(
                true,
                Some("Your saved progress could not be read; it was kept aside and progress starts anew.".into()),
            );
        };
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(VERSION) => match from_current(value) {
                Some(progress) => Loaded {
                    progress,
                    keep_aside: false,
                    note: None,
                },
                None => fresh(
                    true,
                    Some("Your saved progress was damaged; it was kept aside and progress starts anew.".into()),
                ),
            },
            Some(1) => match serde_json::from_value::<V1>(value) {
                Ok(old) => Loaded {
                    progress: migrate_v1(old),
                    keep_aside: false,
                    note: None,
                },
                Err(_) => fresh(
                    true,
                    Some("Your saved progress was damaged; it was kept aside and progress starts anew.".into()),
                ),
            },
            Some(v) if v > u64::from(VERSION) => fresh(
                true,
                Some(format!(
                    "Your progress was saved by a newer Lockstep (version {v}); it was kept aside, not overwritten."
                )),
            ),
            _ => fresh(
                true,
                Some("Your saved progress could not be read; it was kept aside and progress starts anew.".into()),
            ),
        }
    }

    /// The JSON to store.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn lesson(&self, id: &str) -> Option<&LessonProgress> {
        self.lessons.get(id)
    }

    fn lesson_mut(&mut self, id: &str) -> &mut LessonProgress {
        if !self.lessons.contains_key(id) && self.lessons.len() >= MAX_LESSONS {
            // Forget the alphabetically first to make room: a store this
            // full was not filled by the shipped lessons.
            if let Some(first) = self.lessons.keys().next().cloned() {
                self.lessons.remove(&first);
            }
        }
        self.lessons.entry(id.to_string()).or_default()
    }

    /// The learner reached `step` of a run whose last step is `last`.
    /// Returns whether anything changed (only then is it worth saving).
    pub fn saw_step(&mut self, id: &str, step: u64, last: u64) -> bool {
        let lesson = self.lesson_mut(id);
        let before = (lesson.furthest_step, lesson.last_step);
        lesson.furthest_step = lesson.furthest_step.max(step.min(last));
        lesson.last_step = last;
        before != (lesson.furthest_step, lesson.last_step)
    }

    pub fn answered(&mut self, id: &str, question: &str, right: bool) {
        self.lesson_mut(id)
            .questions
            .insert(question.to_string(), right);
    }

    pub fn finished_interview(&mut self, id: &str) {
        self.lesson_mut(id).interview_done = true;
    }

    /// Every (lesson id, question id) whose latest answer was wrong.
    pub fn wrong(&self) -> Vec<(&str, &str)> {
        self.lessons
            .iter()
            .flat_map(|(lesson, p)| {
                p.questions
                    .iter()
                    .filter(|(_, right)| !**right)
                    .map(move |(q, _)| (lesson.as_str(), q.as_str()))
            })
            .collect()
    }

    /// A visit with nothing remembered: the home points at "Start here".
    pub fn is_first_visit(&self) -> bool {
        self.lessons.is_empty()
    }
}

/// Reads the current version field by field, so one bad lesson entry is
/// dropped rather than taking the rest with it.
fn from_current(value: serde_json::Value) -> Option<Progress> {
    let lessons = value.get("lessons")?.as_object()?;
    let mut progress = Progress::new();
    for (id, entry) in lessons {
        if let Ok(lesson) = serde_json::from_value::<LessonProgress>(entry.clone()) {
            if progress.lessons.len() < MAX_LESSONS {
                progress.lessons.insert(id.clone(), lesson);
            }
        }
    }
    Some(progress)
}

/// Version 1 to 2: the two lists become one map (a question in both
/// counts as wrong: the list the learner is shown to revisit).
fn migrate_v1(old: V1) -> Progress {
    let mut progress = Progress::new();
    for (id, lesson) in old.lessons.into_iter().take(MAX_LESSONS) {
        let mut questions = BTreeMap::new();
        for q in lesson.right {
            questions.insert(q, true);
        }
        for q in lesson.wrong {
            questions.insert(q, false);
        }
        progress.lessons.insert(
            id,
            LessonProgress {
                furthest_step: lesson.steps_seen,
                last_step: lesson.steps_seen,
                questions,
                interview_done: false,
            },
        );
    }
    progress
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_progress_reads_back_the_same() {
        let mut progress = Progress::new();
        assert!(progress.is_first_visit());
        assert!(progress.saw_step("locks/a", 12, 80));
        assert!(
            !progress.saw_step("locks/a", 5, 80),
            "going back changes nothing"
        );
        progress.answered("locks/a", "inside", true);
        progress.answered("locks/a", "stale", false);
        progress.finished_interview("locks/a");
        let loaded = Progress::load(Some(&progress.to_json()));
        assert_eq!(loaded.progress, progress);
        assert!(!loaded.keep_aside);
        assert_eq!(loaded.note, None);
        assert_eq!(progress.wrong(), vec![("locks/a", "stale")]);
        // A later right answer takes a question off the wrong list.
        progress.answered("locks/a", "stale", true);
        assert!(progress.wrong().is_empty());
    }

    #[test]
    fn version_1_is_migrated() {
        let old = r#"{"version":1,"lessons":{"locks/a":{"steps_seen":40,"right":["x","y"],"wrong":["y","z"]}}}"#;
        let loaded = Progress::load(Some(old));
        assert!(!loaded.keep_aside);
        let lesson = loaded.progress.lesson("locks/a").unwrap();
        assert_eq!(lesson.furthest_step, 40);
        assert_eq!(lesson.questions.get("x"), Some(&true));
        assert_eq!(lesson.questions.get("y"), Some(&false));
        assert_eq!(lesson.questions.get("z"), Some(&false));
        assert_eq!(loaded.progress.version, VERSION);
    }

    #[test]
    fn garbage_and_newer_versions_are_kept_aside_never_dropped() {
        for stored in [
            "not json at all",
            "[1,2,3]",
            "{\"lessons\":{}}",
            "{\"version\":\"two\"}",
            "{\"version\":2,\"lessons\":7}",
            "{\"version\":1,\"lessons\":\"x\"}",
            "{\"version\":99,\"lessons\":{}}",
        ] {
            let loaded = Progress::load(Some(stored));
            assert!(loaded.keep_aside, "{stored}");
            assert!(loaded.note.is_some(), "{stored}");
            assert!(loaded.progress.is_first_visit(), "{stored}");
        }
        let newer = Progress::load(Some("{\"version\":99}"));
        assert!(newer.note.unwrap().contains("newer"));
        // Nothing stored is not a problem.
        for stored in [None, Some(""), Some("  ")] {
            let loaded = Progress::load(stored);
            assert!(!loaded.keep_aside);
            assert_eq!(loaded.note, None);
        }
    }

    #[test]
    fn one_damaged_lesson_does_not_take_the_others_with_it() {
        let stored = r#"{"version":2,"lessons":{"locks/a":{"furthest_step":"far"},"locks/b":{"furthest_step":3,"last_step":9,"questions":{"q":true},"interview_done":false}}}"#;
        let loaded = Progress::load(Some(stored));
        assert!(!loaded.keep_aside);
        assert!(loaded.progress.lesson("locks/a").is_none());
        assert_eq!(loaded.progress.lesson("locks/b").unwrap().furthest_step, 3);
    }

    #[test]
    fn the_number_of_lessons_remembered_is_bounded() {
        let mut progress = Progress::new();
        for i in 0..MAX_LESSONS + 20 {
            progress.saw_step(&format!("t/{i:04}"), 1, 2);
        }
        assert_eq!(progress.lessons.len(), MAX_LESSONS);
    }
}
