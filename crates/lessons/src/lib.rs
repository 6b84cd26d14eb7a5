//! The lesson format, the scenario runner and question grading.
//!
//! For now: the shared client libraries (`lessons/lib/*.lua`) that
//! scenarios `require`, and reading scenario files with them.

use std::collections::BTreeMap;

use lockstep_sim::{Scenario, ScenarioError};

include!(concat!(env!("OUT_DIR"), "/libraries.rs"));

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

#[cfg(test)]
mod tests {
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
