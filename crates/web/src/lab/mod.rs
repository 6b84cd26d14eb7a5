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
//! - [`timeline`]: columns and rows of a trace, computed once per run (the
//!   "Table" view);
//! - [`picture`]: the run as swimlanes, arrows, spans and lock bars;
//! - [`world`]: nodes, keys, TTLs, section holders, resources at a step;
//! - [`status`]: what each actor is doing, clocks and partitions at a step;
//! - [`verdicts`]: held / VIOLATED, and why the run stopped;
//! - [`jobs`]: runs and searches in the web worker, and its messages;
//! - [`explore`]: "Break it", the explorer in slices the worker runs;
//! - [`fork`]: a console on a node of the run at a step;
//! - [`editor`]: the line a TOML error points at;
//! - [`edits`]: a visitor's edits, small enough for a link;
//! - [`stories`]: the shipped stories and their titles.

pub mod editor;
pub mod edits;
pub mod explore;
pub mod fork;
pub mod jobs;
pub mod link;
pub mod picture;
pub mod split;
pub mod state;
pub mod status;
pub mod stories;
pub mod timeline;
pub mod verdicts;
pub mod world;

pub use state::{BreakReport, Lab, Shown, Source};

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Instant;

    use lockstep_sim::trace::Trace;

    use super::jobs::JobRunner;
    use super::Lab;

    /// A shipped story's TOML.
    pub fn story_text(name: &str) -> &'static str {
        lockstep_lessons::stories::find(name)
            .unwrap_or_else(|| panic!("no story {name}"))
            .text
    }

    /// A shipped story's trace with its own seed, as the lab runs it.
    pub fn story_trace(name: &str) -> Trace {
        let scenario = lockstep_lessons::scenario(story_text(name)).unwrap();
        lockstep_sim::run(&scenario, scenario.seed).unwrap()
    }

    /// Plays the web worker's part in-process: hands the lab's requests to
    /// a runner and its answers back, until nothing is left to do.
    pub fn settle(lab: &mut Lab) {
        let start = Instant::now();
        let mut now = || start.elapsed().as_secs_f64() * 1000.0;
        let mut runner = JobRunner::new();
        loop {
            let requests = lab.take_requests();
            if requests.is_empty() && !runner.busy() {
                return;
            }
            for request in requests {
                if let Some(answer) = runner.handle(request, now()) {
                    lab.receive(answer);
                }
            }
            if let Some(answer) = runner.tick(&mut now) {
                lab.receive(answer);
            }
        }
    }

    /// A new lab with its first run shown.
    pub fn ready() -> Lab {
        let mut lab = Lab::new();
        settle(&mut lab);
        lab
    }
}
