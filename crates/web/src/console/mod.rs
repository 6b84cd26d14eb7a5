//! The Redis console: what happens between a typed line and the text shown
//! under it. Plain Rust, no browser types, so it is tested natively.

pub mod format;
pub mod history;
pub mod session;

pub use session::{prompt, Console, Entry, EntryKind, Tone, CONNECTIONS, PROMPT};
