//! The values a key can hold.

use std::collections::VecDeque;

use indexmap::IndexMap;

use crate::types::set::SetValue;
use crate::types::stream::Stream;
use crate::types::zset::SortedSet;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    String(Vec<u8>),
    List(VecDeque<Vec<u8>>),
    /// Insertion-ordered, as Redis's listpack keeps small hashes; HDEL keeps
    /// the order of the rest (`shift_remove`).
    Hash(IndexMap<Vec<u8>, Vec<u8>>),
    Set(SetValue),
    ZSet(SortedSet),
    Stream(Stream),
}

impl Value {
    /// The name TYPE reports.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::List(_) => "list",
            Value::Hash(_) => "hash",
            Value::Set(_) => "set",
            Value::ZSet(_) => "zset",
            Value::Stream(_) => "stream",
        }
    }
}
