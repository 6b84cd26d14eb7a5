//! The story scenarios and the shared Lua libraries for the simulator's
//! tests and benches, taken from the one catalogue
//! (`lockstep_lessons::stories`, embedded at build time, so they load the
//! same way natively and on wasm32, where there is no file system).
//! Included with `#[path]` from `tests/*.rs` and `benches/world.rs`.

#![allow(dead_code)]

use std::collections::BTreeMap;

use lockstep_sim::Scenario;

/// `lessons/lib/*.lua`, by the name a program `require`s.
pub fn libraries() -> BTreeMap<String, String> {
    lockstep_lessons::libraries()
}

/// Every story's file stem, in the catalogue's order.
pub fn names() -> Vec<&'static str> {
    lockstep_lessons::stories::catalogue()
        .iter()
        .map(|s| s.name)
        .collect()
}

/// A story scenario parsed with the shared libraries; panics (naming the
/// file) if it does not parse, since the files are part of the test.
pub fn story(name: &str) -> Scenario {
    lockstep_lessons::stories::find(name)
        .unwrap_or_else(|| panic!("no story scenario named {name}"))
        .scenario()
        .unwrap_or_else(|e| panic!("lessons/stories/{name}.toml: {e}"))
}
