//! Set values (see the sets command module for semantics).

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetValue {}
