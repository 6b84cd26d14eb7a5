//! The lesson format, the scenario runner and question grading.
//!
//! The shared client libraries (`lessons/lib/*.lua`) that scenarios
//! `require`, the story scenarios (`lessons/stories/*.toml`), reading
//! scenario files with the libraries, and [`lesson`]: the lesson format,
//! its checks and question grading, and [`coverage`]: which items of the
//! source documents the lessons teach.

use std::collections::BTreeMap;

use lockstep_sim::{Scenario, ScenarioError};

pub mod checked;
pub mod coverage;
pub mod lesson;
pub mod stories;

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

/// The shared libraries by name (`lock`, `redlock`, `ratelimit`, ...).
pub fn libraries() -> BTreeMap<String, String> {
    LIBRARIES
        .iter()
        .map(|(name, source)| (name.to_string(), source.to_string()))
        .collect()
}

/// Reads a scenario file's text with the shared libraries available.
pub fn scenario(text: &str) -> Result<Scenario, ScenarioError> {
    Scenario::parse_with_libraries(text, &libraries())
}

/// The story scenarios, parsed, by file stem.
pub fn stories() -> Vec<(&'static str, Result<Scenario, ScenarioError>)> {
    STORIES
        .iter()
        .map(|(name, text)| (*name, scenario(text)))
        .collect()
}

/// The lessons, parsed, by `track/stem` (`locks/01-setnx-then-expire`).
pub fn lessons() -> Vec<(&'static str, Result<lesson::Lesson, lesson::LessonError>)> {
    LESSONS
        .iter()
        .map(|(name, text)| (*name, lesson::Lesson::parse(text)))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_embedded_lesson_parses() {
        let lessons = super::lessons();
        assert!(lessons.len() >= 8, "{}", lessons.len());
        for (name, parsed) in lessons {
            let lesson = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(
                name.starts_with(&format!("{}/", lesson.meta.track)),
                "{name} is in the folder of its track {}",
                lesson.meta.track
            );
        }
        assert!(super::CHECKED_JSON.contains("\"checked_against\""));
    }

    #[test]
    fn every_story_parses_with_the_shared_libraries() {
        let stories = super::stories();
        assert!(stories.len() >= 10, "{}", stories.len());
        for (name, parsed) in stories {
            let scenario = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!scenario.title.is_empty(), "{name} has a title");
        }
    }

    #[test]
    fn the_shared_libraries_are_embedded() {
        let libraries = super::libraries();
        for name in ["lock", "redlock", "ratelimit"] {
            assert!(
                libraries.get(name).is_some_and(|s| s.contains("return")),
                "{name}"
            );
        }
    }
}
