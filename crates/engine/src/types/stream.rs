//! Stream values.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {}
