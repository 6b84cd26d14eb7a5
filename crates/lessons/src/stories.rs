//! The story catalogue: every scenario under `lessons/stories/`, embedded
//! by the build. The page's menu, the command line, the tests and the
//! benches all take stories from here, so a new story is one new file.

use lockstep_sim::scenario::Expected;
use lockstep_sim::trace::{Verdict, VerdictKind};
use lockstep_sim::{Scenario, ScenarioError};

/// One shipped story.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Story {
    /// File stem, used in links and on the command line: `gc_pause_past_ttl`.
    pub name: &'static str,
    /// The TOML as shipped.
    pub text: &'static str,
}

impl Story {
    /// The story's scenario, with the shared libraries.
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        crate::scenario(self.text)
    }
}

/// Every story, in file-name order.
pub fn catalogue() -> Vec<Story> {
    crate::STORIES
        .iter()
        .map(|&(name, text)| Story { name, text })
        .collect()
}

/// The story called `name`.
pub fn find(name: &str) -> Option<Story> {
    catalogue().into_iter().find(|s| s.name == name)
}

/// How a story's `[expect]` table names a verdict: `liveness` for the
/// liveness check, otherwise the invariant as the verdict states it.
pub fn expect_key(verdict: &Verdict) -> String {
    match verdict.kind {
        VerdictKind::Liveness => "liveness".to_string(),
        _ => verdict.invariant.clone(),
    }
}

/// Where a run's verdicts differ from what the scenario expects, in
/// words; empty when they agree (every verdict listed, none missing).
pub fn unmet_expectations(scenario: &Scenario, verdicts: &[Verdict]) -> Vec<String> {
    let mut unmet = Vec::new();
    for verdict in verdicts {
        let key = expect_key(verdict);
        let got = if verdict.held {
            Expected::Held
        } else {
            Expected::Violated
        };
        match scenario.expect.get(&key) {
            None => unmet.push(format!("\"{key}\" is {got:?} but not in [expect]")),
            Some(want) if *want != got => unmet.push(format!(
                "\"{key}\" expected {want:?}, got {got:?}{}",
                verdict
                    .message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            )),
            Some(_) => {}
        }
    }
    for key in scenario.expect.keys() {
        if !verdicts.iter().any(|v| &expect_key(v) == key) {
            unmet.push(format!("[expect] names \"{key}\", which gives no verdict"));
        }
    }
    unmet
}
