//! What a search starts from: the scenario with or without its own faults,
//! and the budget. One policy for every front end, so `lockstep explore`
//! and the page's "Break it" answer the same question the same way.

use crate::explore::Budget;
use crate::scenario::Scenario;

/// What happens to the faults a scenario scripts itself (`[[fault]]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OwnFaults {
    /// Taken out: what the explorer finds is its own discovery, not the
    /// story's script replayed. The default of both front ends.
    #[default]
    TakeOut,
    /// Kept in every run; the explorer adds its faults to them.
    Keep,
}

/// A search ready to start.
#[derive(Clone, Debug)]
pub struct SearchSetup {
    /// The scenario the explorer runs.
    pub scenario: Scenario,
    pub budget: Budget,
    /// The scenario's own faults, in words, that were taken out.
    pub removed: Vec<String>,
    /// The scenario's own faults, in words, that stay in every run.
    pub kept: Vec<String>,
    /// True when the budget is the scenario's `[explore]` table.
    pub own_budget: bool,
}

impl SearchSetup {
    /// Applies the policy `own` to `scenario`, with its `[explore]` budget
    /// or the default one.
    pub fn new(scenario: &Scenario, own: OwnFaults) -> SearchSetup {
        let mut searched = scenario.clone();
        let words: Vec<String> = scenario.faults.iter().map(|f| f.kind.describe()).collect();
        let (removed, kept) = match own {
            OwnFaults::TakeOut => {
                searched.faults.clear();
                (words, Vec::new())
            }
            OwnFaults::Keep => (Vec::new(), words),
        };
        SearchSetup {
            own_budget: scenario.explore.is_some(),
            budget: scenario.explore.clone().unwrap_or_default(),
            scenario: searched,
            removed,
            kept,
        }
    }

    /// What the search will try, in words.
    pub fn bounds(&self) -> String {
        self.budget.describe(self.scenario.duration_ms)
    }

    /// Where the budget comes from.
    pub fn budget_source(&self) -> &'static str {
        if self.own_budget {
            "the scenario's [explore] budget"
        } else {
            "the default budget (the scenario has no [explore] table)"
        }
    }
}
