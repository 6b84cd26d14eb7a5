//! Grading a "fix it" answer: the learner's edited Lua replaces the
//! lesson's broken program (or library), and the answer passes when the
//! fault-free run does the work and the explorer finds no violation within
//! the lesson's budget.
//!
//! Grading is a search like any other, so it splits across workers the same
//! way ([`super::Share`]): each worker starts its share with [`start`], the
//! page merges the shares with [`super::decide`] and words the merged answer
//! with [`judge`]. [`grade`] is the whole search in one go.

use super::{fails, Budget, Explorer, Finding, Share};
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

/// How one share of a grading starts.
pub enum Started {
    /// The fault-free run already fails: graded without a search (every
    /// share answers the same).
    Failed(Box<Grade>),
    /// The search for this share, ready to step.
    Search(Box<Explorer>),
}

/// What the search answered, however many shares it took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Searched<'a> {
    /// It broke with these faults (in words).
    Broke { faults: &'a [String] },
    /// Nothing broke, or the search was cancelled: its coverage statement.
    Held { statement: &'a str, cancelled: bool },
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

/// Starts share `share` of grading `edits` against `scenario` within
/// `budget`: the edited scenario's fault-free run, then (if it holds) this
/// share's search.
pub fn start(
    scenario: &Scenario,
    edits: &[Edit],
    budget: Budget,
    seed: u64,
    share: Share,
) -> Result<Started, ScenarioError> {
    let edited = apply(scenario, edits)?;
    let explorer = Explorer::new_share(&edited, budget, seed, share)?;
    let baseline = explorer.baseline().clone();
    if !fails(&baseline) {
        return Ok(Started::Search(Box::new(explorer)));
    }
    let broken: Vec<String> = baseline
        .verdicts
        .iter()
        .filter(|v| !v.held)
        .map(|v| format!("{}: {}", v.invariant, v.message.as_deref().unwrap_or("")))
        .collect();
    Ok(Started::Failed(Box::new(Grade {
        passed: false,
        summary: format!(
            "Not yet: even with no faults at all, {}.",
            broken.join("; ")
        ),
        baseline,
        finding: None,
    })))
}

/// Whether a search's answer passes, and the sentence for the learner.
pub fn judge(searched: Searched) -> (bool, String) {
    match searched {
        Searched::Broke { faults } => (
            false,
            format!(
                "Not yet: the explorer broke it with {} fault(s): {}.",
                faults.len(),
                faults.join(", then ")
            ),
        ),
        Searched::Held {
            cancelled: true, ..
        } => (
            false,
            "Not graded: the check was cancelled before it finished.".to_string(),
        ),
        Searched::Held { statement, .. } => (
            true,
            format!(
                "Passed: the work gets done, and {}",
                lowercase_first(statement)
            ),
        ),
    }
}

/// Grades `edits` against `scenario` within `budget`, running at most
/// `budget.schedules` schedules in one search; `on_progress` may cancel
/// (then the answer does not pass: it was not checked).
pub fn grade(
    scenario: &Scenario,
    edits: &[Edit],
    budget: Budget,
    seed: u64,
    on_progress: impl FnMut(&super::Progress) -> bool,
) -> Result<Grade, ScenarioError> {
    let explorer = match start(scenario, edits, budget, seed, Share::WHOLE)? {
        Started::Failed(grade) => return Ok(*grade),
        Started::Search(explorer) => explorer,
    };
    let baseline = explorer.baseline().clone();
    let finding = explorer.run(100, on_progress);
    let (passed, summary) = match &finding {
        Finding::Violation(c) => judge(Searched::Broke { faults: &c.faults }),
        Finding::NoViolation(coverage) => judge(Searched::Held {
            statement: &coverage.statement(),
            cancelled: coverage.cancelled,
        }),
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
