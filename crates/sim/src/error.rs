//! The one error type for a scenario that cannot run: refused while reading
//! or checking its TOML, or while building its world (seed data Redis
//! refuses, a Lua state that cannot start).
//!
//! Front ends print it ([`Display`](std::fmt::Display) is the sentence a
//! person reads); editors and tests can also ask which actor and which
//! field it is about, without reading the sentence back.

use std::fmt;

/// What kind of mistake a [`ScenarioError`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not TOML, or not the shape `SCENARIO.md` describes.
    Toml,
    /// Something required is absent (no node, a client without a program).
    Missing,
    /// A name refers to no actor, library or section of the right kind.
    UnknownName,
    /// A value is out of range or malformed (a negative time, a bad
    /// command line).
    BadValue,
    /// Two things that cannot go together (two actors with one name, a
    /// program and a library).
    Conflict,
    /// The scenario reads well but its world could not be built: Redis
    /// refused a seed command, or a Lua state would not start.
    Build,
}

/// Why a scenario cannot run, and where: the actor it concerns and the
/// field (a TOML key, as written in the scenario) when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// What kind of mistake.
    pub kind: ErrorKind,
    /// The actor the mistake is in (a node, client, traffic generator…).
    pub actor: Option<String>,
    /// The key that holds the mistake, e.g. `replica_of`, `after.actor`.
    pub field: Option<String>,
    /// The whole sentence, naming the place in words.
    pub message: String,
}

impl ScenarioError {
    /// An error of `kind` that names no actor and no field (yet).
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            kind,
            actor: None,
            field: None,
            message: message.into(),
        }
    }

    /// The same error, about `actor`.
    pub fn actor(mut self, actor: &str) -> ScenarioError {
        self.actor = Some(actor.to_string());
        self
    }

    /// The same error, about the key `field`.
    pub fn field(mut self, field: &str) -> ScenarioError {
        self.field = Some(field.to_string());
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ScenarioError {}

/// Front ends that carry errors as text keep doing so with `?`.
impl From<ScenarioError> for String {
    fn from(error: ScenarioError) -> String {
        error.message
    }
}
