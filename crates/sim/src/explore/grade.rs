//! Grading a "fix it" answer: the learner's edited Lua replaces the
//! lesson's broken program (or library), and the answer passes when the
//! fault-free run does the work and the explorer finds no violation within
//! the lesson's budget.

use super::{fails, Budget, Explorer, Finding};
use crate::error::{ErrorKind, ScenarioError};
use crate::scenario::Scenario;
use crate::trace::Trace;

/// One piece of learner code.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// The program of a client.
    Program { client: String, source: String },
    /// A shared library (`lock`, `redlock`, ...) as the scenario's clients
    /// `require` it.
    Library { name: String, source: String },
}

#[derive(Clone, Debug)]
pub struct Grade {
    pub passed: bool,
    /// One paragraph for the learner.
    pub summary: String,
    /// The fault-free run of the edited scenario.
    pub baseline: Trace,
    /// The explorer's answer (absent if the fault-free run already failed).
    pub finding: Option<Finding>,
}

/// Applies the learner's edits to a copy of the scenario. An edit of a
/// client the scenario does not have, or an edited scenario that does not
/// pass its checks, is refused naming the client and the field.
pub fn apply(scenario: &Scenario, edits: &[Edit]) -> Result<Scenario, ScenarioError> {
    let mut edited = scenario.clone();
    for edit in edits {
        match edit {
            Edit::Program { client, source } => {
                let spec = edited
                    .clients
                    .iter_mut()
                    .find(|c| &c.name == client)
                    .ok_or_else(|| {
                        ScenarioError::new(
                            ErrorKind::UnknownName,
                            format!("there is no client named \"{client}\" to edit"),
                        )
                        .actor(client)
                        .field("program")
                    })?;
                spec.program = Some(source.clone());
                spec.library = None;
            }
            Edit::Library { name, source } => {
                edited.libraries.insert(name.clone(), source.clone());
            }
        }
    }
    edited.validate()?;
    Ok(edited)
}

/// Grades `edits` against `scenario` within `budget`, running at most
/// `budget.schedules` schedules; `on_progress` may cancel (then the answer
/// does not pass: it was not checked).
pub fn grade(
    scenario: &Scenario,
    edits: &[Edit],
    budget: Budget,
    seed: u64,
    on_progress: impl FnMut(&super::Progress) -> bool,
) -> Result<Grade, ScenarioError> {
    let edited = apply(scenario, edits)?;
    let explorer = Explorer::new(&edited, budget, seed)?;
    let baseline = explorer.baseline().clone();
    if fails(&baseline) {
        let broken: Vec<String> = baseline
            .verdicts
            .iter()
            .filter(|v| !v.held)
            .map(|v| format!("{}: {}", v.invariant, v.message.as_deref().unwrap_or("")))
            .collect();
        return Ok(Grade {
            passed: false,
            summary: format!(
                "Not yet: even with no faults at all, {}.",
                broken.join("; ")
            ),
            baseline,
            finding: None,
        });
    }
    let finding = explorer.run(100, on_progress);
    let (passed, summary) = match &finding {
        Finding::Violation(c) => (
            false,
            format!(
                "Not yet: the explorer broke it with {} fault(s): {}.",
                c.faults.len(),
                c.faults.join(", then ")
            ),
        ),
        Finding::NoViolation(coverage) if coverage.cancelled => (
            false,
            "Not graded: the check was cancelled before it finished.".to_string(),
        ),
        Finding::NoViolation(coverage) => (
            true,
            format!(
                "Passed: the work gets done, and {}",
                lowercase_first(&coverage.statement())
            ),
        ),
    };
    Ok(Grade {
        passed,
        summary,
        baseline,
        finding: Some(finding),
    })
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario() -> Scenario {
        Scenario::parse(
            "title = \"grade\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n",
        )
        .expect("scenario")
    }

    #[test]
    fn an_edit_of_a_client_that_is_not_there_names_the_client_and_the_field() {
        let edit = Edit::Program {
            client: "c9".into(),
            source: "return".into(),
        };
        let error = apply(&scenario(), &[edit]).unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnknownName);
        assert_eq!(error.actor.as_deref(), Some("c9"));
        assert_eq!(error.field.as_deref(), Some("program"));
        assert_eq!(error.to_string(), "there is no client named \"c9\" to edit");
    }

    #[test]
    fn an_edited_scenario_that_fails_its_checks_is_refused_as_the_scenario_is() {
        let edit = Edit::Library {
            name: "lock".into(),
            source: "return {}".into(),
        };
        let mut broken = scenario();
        broken.clients[0].timeout_ms = -1.0;
        let error = apply(&broken, &[edit]).unwrap_err();
        assert_eq!(error, broken.validate().unwrap_err());
        assert_eq!(error.actor.as_deref(), Some("c1"));
    }
}
