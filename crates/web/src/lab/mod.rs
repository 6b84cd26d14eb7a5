//! The scenario lab's logic: plain Rust, tested natively, drawn by the thin
//! components in `crate::ui`.
//!
//! A visitor picks a story, reads and edits its TOML, runs it with a seed,
//! steps through the timeline while the world at each step is shown beside
//! it, and can ask the explorer to break the scenario on its own. The
//! page's address names the story, seed and step, so a link reproduces the
//! exact view.
//!
//! - [`state`]: the [`Lab`] itself, every action a visitor can take;
//! - [`link`]: reading and writing the `#story=...&seed=...&step=...` hash;
//! - [`timeline`]: columns and rows of a trace, computed once per run;
//! - [`world`]: nodes, keys, TTLs, section holders, resources at a step;
//! - [`verdicts`]: held / VIOLATED, and why the run stopped;
//! - [`explore`]: "Break it", the explorer in slices between paints;
//! - [`editor`]: the line a TOML error points at;
//! - [`stories`]: the shipped stories and their titles.

pub mod editor;
pub mod explore;
pub mod link;
pub mod state;
pub mod stories;
pub mod timeline;
pub mod verdicts;
pub mod world;

pub use state::{BreakReport, Lab, Shown, Source};

#[cfg(test)]
pub(crate) mod tests {
    use lockstep_sim::trace::Trace;

    /// A shipped story's trace with its own seed, as the lab runs it.
    pub fn story_trace(name: &str) -> Trace {
        let scenario = lockstep_lessons::stories::find(name)
            .unwrap_or_else(|| panic!("no story {name}"))
            .scenario()
            .unwrap();
        lockstep_sim::run(&scenario, scenario.seed).unwrap()
    }
}
