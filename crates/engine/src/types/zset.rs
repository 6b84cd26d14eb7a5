//! Sorted set values.

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SortedSet {}
