//! Case-insensitive lookups in tables keyed by lower-case ASCII names
//! (commands, configuration parameters), without allocating: every
//! command goes through several of them, so a `to_ascii_lowercase` copy
//! each time showed in profiles.

use std::collections::BTreeMap;

/// Names longer than this are lowered into a heap copy instead of the
/// stack buffer (no command or parameter name comes close).
const STACK_NAME: usize = 64;

/// The entry of `table` whose key is `name` ignoring ASCII case. A name
/// that is not UTF-8 matches nothing, as no key holds a replacement
/// character.
pub fn find_ignore_case<V: Copy>(table: &BTreeMap<&'static str, V>, name: &[u8]) -> Option<V> {
    if name.len() > STACK_NAME {
        let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
        return table.get(lower.as_str()).copied();
    }
    let mut buffer = [0u8; STACK_NAME];
    let lower = &mut buffer[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let lower = std::str::from_utf8(lower).ok()?;
    table.get(lower).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_names_in_any_case_and_nothing_else() {
        let table: BTreeMap<&'static str, u8> = [("get", 1), ("zrevrank", 2)].into();
        assert_eq!(find_ignore_case(&table, b"GET"), Some(1));
        assert_eq!(find_ignore_case(&table, b"zRevRank"), Some(2));
        assert_eq!(find_ignore_case(&table, b"set"), None);
        assert_eq!(find_ignore_case(&table, b"g\xffet"), None);
        assert_eq!(find_ignore_case(&table, &[b'a'; 100]), None);
    }
}
