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

use super::review::Card;

/// The `localStorage` key progress lives under.
pub const KEY: &str = "lockstep.progress";

/// Where text under [`KEY`] that could not be read is kept aside.
pub const ASIDE_KEY: &str = "lockstep.progress.unreadable";

/// The schema this release writes.
pub const VERSION: u32 = 3;

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
    /// Per question id: when its latest answer was given (ms since the
    /// Unix epoch; absent for answers from before version 3). An import
    /// keeps the later of two answers by this.
    #[serde(default)]
    pub answered_ms: BTreeMap<String, i64>,
    /// Per question id: its place on the review schedule (questions
    /// answered wrong; see [`super::review`]).
    #[serde(default)]
    pub cards: BTreeMap<String, Card>,
}

/// What merging an imported progress changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Merged {
    /// Lessons that were not here before.
    pub new_lessons: usize,
    /// Answers taken from the import (they were later, or the only one).
    pub answers_taken: usize,
}

/// A question due (or coming up) for review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueQuestion {
    pub lesson: String,
    pub question: String,
    pub card: Card,
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
            Some(2) => match from_current(value) {
                Some(progress) => Loaded {
                    progress: migrate_v2(progress),
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
                    progress: migrate_v2(migrate_v1(old)),
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

    /// An answer in the lesson at `now_ms`. A wrong one puts the
    /// question on the review schedule (back to box 1 if it was there); a
    /// right one leaves the schedule alone: the lesson may just have shown
    /// the answer, so only review moves a question up.
    pub fn answered(&mut self, id: &str, question: &str, right: bool, now_ms: i64) {
        let lesson = self.lesson_mut(id);
        lesson.questions.insert(question.to_string(), right);
        lesson.answered_ms.insert(question.to_string(), now_ms);
        if !right {
            let reviews = lesson.cards.get(question).map_or(0, |c| c.reviews);
            lesson
                .cards
                .insert(question.to_string(), Card::missed(now_ms, reviews));
        }
    }

    /// An answer on the review page at `now_ms`: the question moves up a
    /// box, or back to box 1, or leaves the schedule once learned.
    pub fn reviewed(&mut self, id: &str, question: &str, right: bool, now_ms: i64) {
        let lesson = self.lesson_mut(id);
        lesson.questions.insert(question.to_string(), right);
        lesson.answered_ms.insert(question.to_string(), now_ms);
        let next = match lesson.cards.get(question) {
            Some(card) => card.answered(right, now_ms),
            None => (!right).then(|| Card::missed(now_ms, 1)),
        };
        match next {
            Some(card) => lesson.cards.insert(question.to_string(), card),
            None => lesson.cards.remove(question),
        };
    }

    /// Every question on the schedule, soonest first: those due at
    /// `now_ms`, then the rest.
    pub fn schedule(&self) -> Vec<DueQuestion> {
        let mut all: Vec<DueQuestion> = self
            .lessons
            .iter()
            .flat_map(|(lesson, p)| {
                p.cards.iter().map(move |(q, card)| DueQuestion {
                    lesson: lesson.clone(),
                    question: q.clone(),
                    card: card.clone(),
                })
            })
            .collect();
        all.sort_by(|a, b| {
            (a.card.due_ms, &a.lesson, &a.question).cmp(&(b.card.due_ms, &b.lesson, &b.question))
        });
        all
    }

    /// The questions due at `now_ms`, soonest first.
    pub fn due(&self, now_ms: i64) -> Vec<DueQuestion> {
        self.schedule()
            .into_iter()
            .filter(|d| d.card.is_due(now_ms))
            .collect()
    }

    /// The progress as a file to download: the stored form, indented.
    pub fn to_export(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads an exported file (any version this release can read).
    pub fn from_export(text: &str) -> Result<Progress, String> {
        let loaded = Progress::load(Some(text));
        if text.trim().is_empty() {
            return Err("The file is empty.".into());
        }
        if loaded.keep_aside {
            return Err(match loaded.note {
                Some(note) if note.contains("newer") => format!(
                    "This file was saved by a newer Lockstep (version {}); this page cannot read it.",
                    serde_json::from_str::<serde_json::Value>(text)
                        .ok()
                        .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64))
                        .unwrap_or_default()
                ),
                _ => "This file is not Lockstep progress (it could not be read).".into(),
            });
        }
        Ok(loaded.progress)
    }

    /// Merges an imported progress into this one, losing nothing: every
    /// lesson and question of either side is kept; of two answers to one
    /// question the later is kept (a timed one beats an untimed one; of
    /// two untimed, a right one beats a wrong one); of two review cards
    /// the later schedule ([`Card::later`]); the furthest step and a
    /// finished interview of either side.
    pub fn merge(&mut self, other: Progress) -> Merged {
        let mut merged = Merged::default();
        for (id, theirs) in other.lessons {
            if !self.lessons.contains_key(&id) {
                merged.new_lessons += 1;
            }
            let mine = self.lesson_mut(&id);
            mine.furthest_step = mine.furthest_step.max(theirs.furthest_step);
            mine.last_step = mine.last_step.max(theirs.last_step);
            mine.interview_done |= theirs.interview_done;
            for (q, their_right) in theirs.questions {
                let their_time = theirs.answered_ms.get(&q).copied();
                let take = match mine.questions.get(&q) {
                    None => true,
                    Some(&my_right) => {
                        let my_time = mine.answered_ms.get(&q).copied();
                        their_time > my_time || (their_time == my_time && their_right && !my_right)
                    }
                };
                if take {
                    merged.answers_taken += 1;
                    mine.questions.insert(q.clone(), their_right);
                    match their_time {
                        Some(t) => mine.answered_ms.insert(q, t),
                        None => mine.answered_ms.remove(&q),
                    };
                }
            }
            for (q, card) in theirs.cards {
                let keep = match mine.cards.get(&q) {
                    Some(my_card) => Card::later(my_card, &card).clone(),
                    None => card,
                };
                mine.cards.insert(q, keep);
            }
        }
        merged
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

/// Version 2 to 3: every question whose latest answer was wrong goes on
/// the review schedule, due at once (when it was answered is unknown).
fn migrate_v2(mut progress: Progress) -> Progress {
    for lesson in progress.lessons.values_mut() {
        for (q, right) in &lesson.questions {
            if !right && !lesson.cards.contains_key(q) {
                lesson.cards.insert(
                    q.clone(),
                    Card {
                        box_: 1,
                        due_ms: 0,
                        reviews: 0,
                    },
                );
            }
        }
    }
    progress
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
                ..LessonProgress::default()
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
        progress.answered("locks/a", "inside", true, 1_000);
        progress.answered("locks/a", "stale", false, 2_000);
        progress.finished_interview("locks/a");
        let loaded = Progress::load(Some(&progress.to_json()));
        assert_eq!(loaded.progress, progress);
        assert!(!loaded.keep_aside);
        assert_eq!(loaded.note, None);
        assert_eq!(progress.wrong(), vec![("locks/a", "stale")]);
        // A later right answer takes a question off the wrong list.
        progress.answered("locks/a", "stale", true, 3_000);
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

    const MINUTE: i64 = 60_000;
    const DAY: i64 = 24 * 60 * MINUTE;

    #[test]
    fn version_2_is_migrated_with_wrong_answers_due_for_review() {
        let old = r#"{"version":2,"lessons":{"locks/a":{"furthest_step":3,"last_step":9,"questions":{"x":true,"y":false},"interview_done":true}}}"#;
        let loaded = Progress::load(Some(old));
        assert!(!loaded.keep_aside);
        assert_eq!(loaded.progress.version, VERSION);
        let lesson = loaded.progress.lesson("locks/a").unwrap();
        assert_eq!((lesson.furthest_step, lesson.interview_done), (3, true));
        assert_eq!(lesson.questions.len(), 2, "no answer is lost");
        let due = loaded.progress.due(1);
        assert_eq!(due.len(), 1);
        assert_eq!(
            (due[0].lesson.as_str(), due[0].question.as_str()),
            ("locks/a", "y")
        );
    }

    #[test]
    fn a_wrong_answer_comes_back_for_review_and_climbs_with_right_ones() {
        let mut progress = Progress::new();
        let t0 = 1_700_000_000_000;
        progress.answered("locks/a", "q1", false, t0);
        progress.answered("locks/a", "q2", true, t0);
        assert!(progress.due(t0).is_empty(), "not due at once");
        assert_eq!(
            progress.schedule().len(),
            1,
            "only the wrong one is scheduled"
        );
        let later = t0 + 11 * MINUTE;
        assert_eq!(progress.due(later)[0].question, "q1");
        progress.reviewed("locks/a", "q1", true, later);
        assert!(progress.due(later).is_empty());
        assert_eq!(progress.schedule()[0].card.box_, 2);
        assert!(progress.due(later + DAY).len() == 1);
        // Wrong in review: back to box 1; the round trip through the store keeps it.
        progress.reviewed("locks/a", "q1", false, later + DAY);
        let back = Progress::load(Some(&progress.to_json())).progress;
        assert_eq!(back, progress);
        assert_eq!(back.schedule()[0].card.box_, 1);
        assert_eq!(back.wrong(), vec![("locks/a", "q1")]);
    }

    #[test]
    fn an_import_never_loses_what_is_already_there() {
        let mut here = Progress::new();
        here.saw_step("locks/a", 30, 80);
        here.answered("locks/a", "old-here", false, 100);
        here.answered("locks/a", "new-here", true, 500);
        here.answered("locks/only-here", "q", true, 100);
        let mut file = Progress::new();
        file.saw_step("locks/a", 10, 80);
        file.answered("locks/a", "old-here", true, 200);
        file.answered("locks/a", "new-here", false, 400);
        file.answered("locks/only-there", "q", false, 100);
        file.finished_interview("locks/a");

        let merged = here.merge(Progress::from_export(&file.to_export()).unwrap());
        assert_eq!(merged.new_lessons, 1);
        let a = here.lesson("locks/a").unwrap();
        assert_eq!(a.furthest_step, 30, "the furthest step of either side");
        assert!(a.interview_done);
        assert!(a.questions["old-here"], "the later answer (the file's)");
        assert_eq!(a.answered_ms["old-here"], 200);
        assert!(a.questions["new-here"], "the later answer (this page's)");
        assert!(here.lesson("locks/only-here").is_some());
        assert!(!here.lesson("locks/only-there").unwrap().questions["q"]);
        // Review cards of both sides are kept: the one missed here at 100
        // and the one missed in the file at 100.
        let scheduled: Vec<_> = here
            .schedule()
            .into_iter()
            .map(|d| (d.lesson, d.question))
            .collect();
        assert!(scheduled.contains(&("locks/a".into(), "old-here".into())));
        assert!(scheduled.contains(&("locks/only-there".into(), "q".into())));

        // Merging the same file again changes nothing.
        let before = here.clone();
        let again = here.merge(file);
        assert_eq!(again.new_lessons, 0);
        assert_eq!(again.answers_taken, 0);
        assert_eq!(here, before);
    }

    #[test]
    fn untimed_answers_merge_right_over_wrong_and_timed_over_untimed() {
        let v2 = |right: bool| {
            Progress::load(Some(&format!(
                r#"{{"version":2,"lessons":{{"t/a":{{"furthest_step":0,"last_step":0,"questions":{{"q":{right}}},"interview_done":false}}}}}}"#
            )))
            .progress
        };
        let mut here = v2(false);
        here.merge(v2(true));
        assert!(here.lesson("t/a").unwrap().questions["q"]);
        let mut here = v2(true);
        here.merge(v2(false));
        assert!(here.lesson("t/a").unwrap().questions["q"]);
        let mut timed = Progress::new();
        timed.answered("t/a", "q", false, 5);
        let mut here = v2(true);
        here.merge(timed);
        assert!(
            !here.lesson("t/a").unwrap().questions["q"],
            "a dated answer is later"
        );
    }

    #[test]
    fn an_import_that_is_not_progress_is_refused_with_a_reason() {
        for (text, says) in [
            ("", "empty"),
            ("hello", "not Lockstep progress"),
            (
                "{\"version\":99,\"lessons\":{}}",
                "newer Lockstep (version 99)",
            ),
        ] {
            let err = Progress::from_export(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
        assert!(Progress::from_export(&Progress::new().to_export()).is_ok());
    }
}
