//! What the home lists for a lesson, without the lesson itself.
//!
//! The home is the page's first screen and must load fast, so its wasm
//! carries neither the lessons' text nor the parser (which needs Lua and
//! the simulator). The build script parses every embedded lesson natively
//! and writes these summaries as JSON (this file is compiled into the
//! build script too, so both sides agree on the shape); the page reads
//! them with [`summaries`].

use serde::{Deserialize, Serialize};

/// One lesson as the home shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LessonSummary {
    pub id: String,
    /// The file's key (`locks/01-setnx-then-expire`).
    pub file: String,
    pub track: String,
    pub order: u32,
    pub title: String,
    pub summary: String,
    pub interview: String,
    /// `beginner`, `intermediate` or `advanced`.
    pub difficulty: String,
    pub minutes: u32,
    pub tags: Vec<String>,
    /// The questions, for the count and the list of ones answered wrong.
    pub questions: Vec<QuestionSummary>,
    /// The fidelity badge: every myth transcript, as the lesson has it now,
    /// matched a real redis-server in the test command (`checked.json`).
    #[serde(default)]
    pub checked: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuestionSummary {
    pub id: String,
    pub prompt: String,
}

impl LessonSummary {
    /// The summary of a parsed lesson read from `file`; `checked` is the
    /// suite's record of which lessons' transcripts matched Redis.
    pub fn of(
        lesson: &lockstep_lessons::lesson::Lesson,
        file: &str,
        checked: &lockstep_lessons::checked::Checked,
    ) -> LessonSummary {
        use lockstep_lessons::lesson::Difficulty;
        let meta = &lesson.meta;
        LessonSummary {
            id: meta.id.clone(),
            file: file.to_string(),
            track: meta.track.clone(),
            order: meta.order,
            title: meta.title.clone(),
            summary: meta.summary.clone(),
            interview: meta.interview.clone(),
            difficulty: match meta.difficulty {
                Difficulty::Beginner => "beginner",
                Difficulty::Intermediate => "intermediate",
                Difficulty::Advanced => "advanced",
            }
            .to_string(),
            minutes: meta.minutes,
            tags: meta.tags.clone(),
            questions: lesson
                .questions
                .iter()
                .map(|q| QuestionSummary {
                    id: q.id.clone(),
                    prompt: q.prompt.clone(),
                })
                .collect(),
            checked: checked.badge(&format!("{file}.md"), lesson),
        }
    }
}

/// The summaries of every embedded lesson that parses, in file order.
pub fn of_embedded_lessons() -> Vec<LessonSummary> {
    let checked = lockstep_lessons::checked::Checked::shipped();
    lockstep_lessons::lessons()
        .into_iter()
        .filter_map(|(file, parsed)| parsed.ok().map(|l| LessonSummary::of(&l, file, &checked)))
        .collect()
}
