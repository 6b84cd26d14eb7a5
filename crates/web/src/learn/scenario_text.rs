//! A lesson's main scenario as TOML text, with the lesson's client
//! programs filled in: what the lab's run path (a [`Request::Run`] of text
//! and seed, in the web worker) takes, so the player reuses it unchanged.
//!
//! [`Request::Run`]: crate::lab::jobs::Request::Run

use lockstep_lessons::lesson::{variation, Lesson};

/// The main scenario's text and seed.
pub fn main_scenario(lesson: &Lesson) -> Result<(String, u64), String> {
    let source = lesson
        .scenarios
        .get("")
        .ok_or("the lesson has no main scenario")?;
    let mut table = source.table.clone();
    for program in &lesson.programs {
        variation::set_program(&mut table, &program.client, &program.source, true);
    }
    let seed = table
        .get("seed")
        .and_then(toml::Value::as_integer)
        .and_then(|s| u64::try_from(s).ok())
        .unwrap_or(1);
    let text =
        toml::to_string(&table).map_err(|e| format!("the scenario cannot be written: {e}"))?;
    Ok((text, seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lessons_scenario_text_runs_to_the_lessons_own_trace() {
        for (name, parsed) in lockstep_lessons::lessons() {
            let lesson = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            let (text, seed) = main_scenario(&lesson).unwrap();
            let from_text = crate::lab::jobs::run_text(&text, seed).unwrap();
            assert_eq!(from_text, lesson.run(Some(seed)).unwrap(), "{name}");
        }
    }
}
