//! CONFIG GET/SET parameters the lessons use.

#[derive(Clone, Debug, Default)]
pub struct Config {}
