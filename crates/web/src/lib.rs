//! The Lockstep playground: a Yew app that runs the Redis model in the page.
//!
//! [`console`] holds the logic and is tested natively; [`ui`] holds the Yew
//! components, which are thin and exist only on wasm32 (the end-to-end test
//! in `tests/e2e/` drives them in a real browser).

pub mod console;

#[cfg(target_arch = "wasm32")]
pub mod ui;
