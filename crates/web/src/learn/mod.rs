//! The lessons in the page: plain Rust, tested natively, drawn by the thin
//! components in `crate::ui`.
//!
//! - [`route`]: the address hash (`#/`, `#/lesson/ID?step=N`, `#/lab`);
//! - [`embed`]: the `postMessage` API of an embedded player (web/EMBED.md);
//! - [`catalogue`]: the lessons by track, search and tags, checked myths;
//! - [`markdown`]: a lesson's prose as blocks to draw (never raw HTML);
//! - [`player`]: notes and predict gates in the run, answers, the interview;
//! - [`progress`]: what the learner did, versioned for `localStorage`;
//! - [`review`]: spaced repetition (Leitner boxes) for questions missed;
//! - [`recall`]: a question under review, asked and graded on a fresh run;
//! - [`scenario_text`]: a lesson's scenario as the text the lab runs;
//! - [`summary`], [`listing`]: what the home lists, written by the build;
//! - [`what_if`]: a lesson's parameters and variations, run again;
//! - [`compare`]: two runs on one time axis, with their verdicts;
//! - [`lua_tokens`]: Lua source in pieces, for the editor's highlighting;
//! - [`charts`]: rate limits, database load and latency, read from the run;
//! - [`metrics_chart`]: the bars beside a lesson's side-by-side table;
//! - [`fix_grading`]: a "fix it" graded across several workers;
//! - [`what_if_link`]: a "what if" kept in the lesson's link.

pub mod catalogue;
pub mod charts;
pub mod compare;
pub mod embed;
pub mod fix_grading;
pub mod listing;
pub mod lua_tokens;
pub mod markdown;
pub mod metrics_chart;
pub mod player;
pub mod progress;
pub mod recall;
pub mod review;
pub mod route;
pub mod scenario_text;
pub mod summary;
pub mod what_if;
pub mod what_if_link;
