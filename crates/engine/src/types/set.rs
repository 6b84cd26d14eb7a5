//! Set values, with Redis 7.0's two encodings modelled for their iteration
//! order (see the sets command module for the commands themselves).
//!
//! Redis keeps a set of integers as an *intset*: a sorted array, so SMEMBERS
//! lists it in ascending numeric order. The first non-integer member, or a
//! member past `set-max-intset-entries` (512), converts it for good to a
//! *hashtable*, whose order is Redis's random hash order. We cannot reproduce
//! that order, so ours is deterministic instead: members in the order they
//! were added (a removal moves the last member into the hole, as a swap
//! keeps SREM O(1) on big sets). Like Redis, we never convert back.

use std::borrow::Cow;
use std::collections::BTreeSet;

use indexmap::IndexSet;

use crate::numbers::parse_i64;

/// `set-max-intset-entries`' default: the most members an intset holds.
pub const MAX_INTSET_ENTRIES: usize = 512;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetValue {
    /// Every member is an integer as `string2ll` reads it (so its canonical
    /// spelling is the member itself), iterated in ascending order.
    IntSet(BTreeSet<i64>),
    /// Any members; iterated in our deterministic stand-in for hash order.
    HashTable(IndexSet<Vec<u8>>),
}

impl Default for SetValue {
    /// An empty intset, as Redis's `createIntsetObject` (the destination of
    /// SINTERSTORE and friends starts this way).
    fn default() -> Self {
        SetValue::IntSet(BTreeSet::new())
    }
}

impl SetValue {
    /// An empty set able to hold `first`, as Redis's `setTypeCreate`: an
    /// intset when `first` is an integer, a hashtable otherwise.
    pub fn for_first_member(first: &[u8]) -> Self {
        match parse_i64(first) {
            Some(_) => SetValue::IntSet(BTreeSet::new()),
            None => SetValue::HashTable(IndexSet::new()),
        }
    }

    /// Adds `member`; false if it was already there. Converts to a
    /// hashtable exactly when Redis's `setTypeAdd` would.
    pub fn insert(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::HashTable(members) => members.insert(member.to_vec()),
            SetValue::IntSet(ints) => match parse_i64(member) {
                Some(n) => {
                    if !ints.insert(n) {
                        return false;
                    }
                    if ints.len() > MAX_INTSET_ENTRIES {
                        self.convert_to_hashtable();
                    }
                    true
                }
                None => {
                    self.convert_to_hashtable();
                    if let SetValue::HashTable(members) = self {
                        members.insert(member.to_vec());
                    }
                    true
                }
            },
        }
    }

    /// Removes `member`; false if it was not there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            SetValue::HashTable(members) => members.swap_remove(member),
            SetValue::IntSet(ints) => parse_i64(member).is_some_and(|n| ints.remove(&n)),
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            SetValue::HashTable(members) => members.contains(member),
            SetValue::IntSet(ints) => parse_i64(member).is_some_and(|n| ints.contains(&n)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SetValue::HashTable(members) => members.len(),
            SetValue::IntSet(ints) => ints.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Members in the order Redis would list them (for an intset), or in
    /// our stand-in for hash order (for a hashtable).
    pub fn iter(&self) -> Box<dyn Iterator<Item = Cow<'_, [u8]>> + '_> {
        match self {
            SetValue::HashTable(members) => Box::new(members.iter().map(|m| Cow::Borrowed(&m[..]))),
            SetValue::IntSet(ints) => {
                Box::new(ints.iter().map(|n| Cow::Owned(n.to_string().into_bytes())))
            }
        }
    }

    /// The member at position `index` of [`Self::iter`]'s order.
    pub fn nth(&self, index: usize) -> Option<Vec<u8>> {
        match self {
            SetValue::HashTable(members) => members.get_index(index).cloned(),
            SetValue::IntSet(ints) => ints.iter().nth(index).map(|n| n.to_string().into_bytes()),
        }
    }

    /// The name OBJECT ENCODING reports.
    pub fn encoding(&self) -> &'static str {
        match self {
            SetValue::IntSet(_) => "intset",
            SetValue::HashTable(_) => "hashtable",
        }
    }

    fn convert_to_hashtable(&mut self) {
        if let SetValue::IntSet(ints) = self {
            let members = ints.iter().map(|n| n.to_string().into_bytes()).collect();
            *self = SetValue::HashTable(members);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(set: &SetValue) -> Vec<String> {
        set.iter()
            .map(|m| String::from_utf8_lossy(&m).into_owned())
            .collect()
    }

    #[test]
    fn integers_stay_sorted_in_an_intset() {
        let mut set = SetValue::for_first_member(b"10");
        for m in ["10", "-3", "7", "10"] {
            set.insert(m.as_bytes());
        }
        assert_eq!(set.encoding(), "intset");
        assert_eq!(members(&set), ["-3", "7", "10"]);
        assert!(set.contains(b"7"));
        // Not canonical integers, so not members of an intset.
        assert!(!set.contains(b"07"));
        assert!(!set.contains(b"+7"));
    }

    #[test]
    fn a_non_integer_converts_for_good() {
        let mut set = SetValue::for_first_member(b"3");
        set.insert(b"3");
        set.insert(b"1");
        assert!(set.insert(b"x"));
        assert_eq!(set.encoding(), "hashtable");
        assert_eq!(members(&set), ["1", "3", "x"]);
        set.remove(b"x");
        assert_eq!(set.encoding(), "hashtable");
    }

    #[test]
    fn the_513th_integer_converts() {
        let mut set = SetValue::default();
        for n in 0..MAX_INTSET_ENTRIES {
            set.insert(n.to_string().as_bytes());
        }
        assert_eq!(set.encoding(), "intset");
        set.insert(b"-1");
        assert_eq!(set.encoding(), "hashtable");
        assert_eq!(set.len(), MAX_INTSET_ENTRIES + 1);
    }
}
