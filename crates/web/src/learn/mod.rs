//! The lessons in the page: plain Rust, tested natively, drawn by the thin
//! components in `crate::ui`.
//!
//! - [`route`]: the address hash (`#/`, `#/lesson/ID?step=N`, `#/lab`);
//! - [`embed`]: the `postMessage` API of an embedded player (web/EMBED.md);
//! - [`catalogue`]: the lessons by track, search and tags, checked myths;
//! - [`markdown`]: a lesson's prose as blocks to draw (never raw HTML);
//! - [`player`]: notes and predict gates in the run, answers, the interview;
//! - [`progress`]: what the learner did, versioned for `localStorage`;
//! - [`scenario_text`]: a lesson's scenario as the text the lab runs.

pub mod catalogue;
pub mod embed;
pub mod markdown;
pub mod player;
pub mod progress;
pub mod route;
pub mod scenario_text;
