//! An estimate of the memory a Redis 7.0 node would use, for MEMORY USAGE,
//! INFO's `used_memory` and maxmemory.
//!
//! MEMORY USAGE follows Redis 7.0's `objectComputeSize` and jemalloc's size
//! classes, so for the shapes small keys take — integer, embedded and raw
//! strings, listpack hashes and sorted sets, intsets — it gives the bytes a
//! real server reports (the differential case `memory-usage.redis` compares
//! them). Big collections (a skiplist, a hashtable, a quicklist) are
//! estimated from their layouts: Redis itself samples five elements of
//! those, whose sizes depend on its allocator and random skiplist levels.

use crate::keyspace::{Entry, Keyspace};
use crate::numbers::parse_i64;
use crate::value::Value;

/// The error for a command that may grow memory while `used_memory` is
/// over `maxmemory` and the policy evicts nothing (`noeviction`).
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// What an empty Redis 7.0 node reports as `used_memory` (its startup
/// allocations: shared objects, the command table, the Lua state, ...).
pub const STARTUP_BYTES: u64 = 870_000;
/// A robj header.
const OBJECT: u64 = 16;
/// A dict entry (key, value, next pointers).
const DICT_ENTRY: u64 = 24;
/// A `dict` (two tables, their sizes, the rehash state).
const DICT: u64 = 56;
/// A `zset` (its dict and skiplist pointers) plus the `zskiplist` itself.
const ZSET_HEADERS: u64 = 16 + 32;
/// The skiplist's header node (32 levels), as allocated.
const SKIPLIST_HEADER: u64 = 640;
/// A skiplist node as allocated, averaged over Redis's random levels
/// (a quarter of nodes one level taller than the last).
const SKIPLIST_NODE: u64 = 53;
/// A listpack's header (total bytes, element count) and terminator.
const LISTPACK_HEADER: u64 = 7;
/// Listpacks (small hashes and sorted sets) hold at most this many entries
/// of at most this many bytes (`*-max-listpack-entries`, `-value`).
const LISTPACK_MAX_ENTRIES: usize = 128;
const LISTPACK_MAX_VALUE: usize = 64;
/// Longest string stored with its object header in one allocation.
const EMBSTR_MAX_LEN: usize = 44;

/// The allocation jemalloc makes for `bytes`: its size classes are 8, then
/// multiples of 16 up to 128, then four per doubling.
pub fn alloc(bytes: u64) -> u64 {
    match bytes {
        0..=8 => 8,
        9..=128 => bytes.div_ceil(16) * 16,
        _ => {
            let step = bytes.next_power_of_two() / 8;
            bytes.div_ceil(step) * step
        }
    }
}

/// An SDS string of `len` bytes as allocated: a header sized for the
/// length, the bytes and a NUL (`sdsnewlen`, as keys are copied).
fn sds(len: usize) -> u64 {
    let header = match len {
        0 => 3,
        1..=31 => 1,
        32..=255 => 3,
        256..=65_535 => 5,
        _ => 9,
    };
    alloc(len as u64 + header + 1)
}

/// MEMORY USAGE: the key's dict entry, its name and its value (the expiry
/// entry is not counted, as Redis 7.0 does not count it).
pub fn key_usage(key: &[u8], entry: &Entry) -> u64 {
    DICT_ENTRY + sds(key.len()) + value_usage(&entry.value)
}

fn value_usage(value: &Value) -> u64 {
    match value {
        Value::String(bytes) => {
            if parse_i64(bytes).is_some() {
                OBJECT
            } else if bytes.len() <= EMBSTR_MAX_LEN {
                // The object header and an 8-bit SDS in one allocation.
                alloc(OBJECT + 3 + bytes.len() as u64 + 1)
            } else {
                OBJECT + alloc(bytes.len() as u64 + sds_header(bytes.len()) + 1)
            }
        }
        Value::List(items) => {
            let payload: u64 = items.iter().map(|i| listpack_entry(i)).sum();
            // A quicklist of 8 kB listpack nodes.
            let nodes = payload.div_ceil(8192).max(1);
            OBJECT + 40 + nodes * (32 + LISTPACK_HEADER) + alloc(payload)
        }
        Value::Hash(fields) => {
            let small = fields.len() <= LISTPACK_MAX_ENTRIES
                && fields
                    .iter()
                    .all(|(f, v)| f.len() <= LISTPACK_MAX_VALUE && v.len() <= LISTPACK_MAX_VALUE);
            if small {
                let entries: u64 = fields
                    .iter()
                    .map(|(f, v)| listpack_entry(f) + listpack_entry(v))
                    .sum();
                OBJECT + alloc(LISTPACK_HEADER + entries)
            } else {
                let elements: u64 = fields
                    .iter()
                    .map(|(f, v)| sds(f.len()) + sds(v.len()) + DICT_ENTRY)
                    .sum();
                OBJECT + DICT + table(fields.len()) + elements
            }
        }
        Value::Set(set) => {
            if set.encoding() == "intset" {
                let width = set
                    .iter()
                    .filter_map(|m| parse_i64(&m))
                    .map(int_width)
                    .max()
                    .unwrap_or(2);
                OBJECT + alloc(8 + width * set.len() as u64)
            } else {
                let members: u64 = set.iter().map(|m| sds(m.len()) + DICT_ENTRY).sum();
                OBJECT + DICT + table(set.len()) + members
            }
        }
        Value::ZSet(zset) => {
            if zset.encoding() == "listpack" {
                let entries: u64 = zset
                    .iter()
                    .map(|(m, score)| {
                        listpack_entry(m) + listpack_entry(score_text(score).as_bytes())
                    })
                    .sum();
                OBJECT + alloc(LISTPACK_HEADER + entries)
            } else {
                let members: u64 = zset
                    .iter()
                    .map(|(m, _)| sds(m.len()) + DICT_ENTRY + SKIPLIST_NODE)
                    .sum();
                OBJECT + ZSET_HEADERS + DICT + table(zset.len()) + SKIPLIST_HEADER + members
            }
        }
        Value::Stream(stream) => OBJECT + 64 + 100 * stream.len(),
    }
}

/// An SDS header for a string of `len` bytes made from a reply or an
/// argument (type 8 and up).
fn sds_header(len: usize) -> u64 {
    match len {
        0..=255 => 3,
        256..=65_535 => 5,
        _ => 9,
    }
}

/// A hashtable's bucket array: a pointer per slot, a power of two.
fn table(len: usize) -> u64 {
    8 * len.max(4).next_power_of_two() as u64
}

/// The bytes an intset spends per member to hold `n`.
fn int_width(n: i64) -> u64 {
    if i16::try_from(n).is_ok() {
        2
    } else if i32::try_from(n).is_ok() {
        4
    } else {
        8
    }
}

/// One listpack element: its encoding (an integer when the bytes spell
/// one, else a string with a length prefix), its data and its back-length.
fn listpack_entry(bytes: &[u8]) -> u64 {
    let body = match parse_i64(bytes) {
        Some(n) if (0..=127).contains(&n) => 1,
        Some(n) if (-4096..=4095).contains(&n) => 2,
        Some(n) if i16::try_from(n).is_ok() => 3,
        Some(n) if (-(1 << 23)..(1 << 23)).contains(&n) => 4,
        Some(n) if i32::try_from(n).is_ok() => 5,
        Some(_) => 9,
        None => {
            let len = bytes.len() as u64;
            match len {
                0..=63 => 1 + len,
                64..=4095 => 2 + len,
                _ => 5 + len,
            }
        }
    };
    let back = match body {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    };
    body + back
}

/// A score as a listpack stores it (`d2string`): an integer when it is
/// one, else 17 significant digits.
fn score_text(score: f64) -> String {
    if score == 0.0 {
        return if score.is_sign_negative() { "-0" } else { "0" }.into();
    }
    if score.is_infinite() {
        return if score > 0.0 { "inf" } else { "-inf" }.into();
    }
    if score.fract() == 0.0 && score.abs() < 4_503_599_627_370_495.0 {
        return format!("{}", score as i64);
    }
    general_17(score)
}

/// C's `%.17g`.
fn general_17(x: f64) -> String {
    let sci = format!("{x:.16e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..17).contains(&exponent) {
        let mantissa = trim_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = (16 - exponent).max(0) as usize;
    trim_zeros(&format!("{x:.decimals$}")).to_string()
}

fn trim_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

/// Every key of a database.
pub fn database_usage(db: &Keyspace) -> u64 {
    db.iter().map(|(key, entry)| key_usage(key, entry)).sum()
}

/// Cached scripts (`used_memory_scripts_eval`): each body and its SHA.
pub fn scripts_usage(scripts: &std::collections::BTreeMap<String, Vec<u8>>) -> u64 {
    scripts
        .iter()
        .map(|(sha, body)| DICT_ENTRY + sds(sha.len()) + OBJECT + sds(body.len()))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(value: Value) -> Entry {
        Entry {
            value,
            expire_at_ms: None,
        }
    }

    #[test]
    fn bigger_values_use_more() {
        let small = key_usage(b"k", &entry(Value::String(b"v".to_vec())));
        let big = key_usage(b"k", &entry(Value::String(vec![b'x'; 1000])));
        assert!(small < big && big >= 1000, "{small} {big}");
        let int = key_usage(b"k", &entry(Value::String(b"12345".to_vec())));
        assert!(int <= small);
    }

    #[test]
    fn a_hash_grows_with_its_fields() {
        // Allocations come in size classes, so a field may fit in the
        // space the last one left: never smaller, and growing overall.
        let mut fields = indexmap::IndexMap::new();
        let mut sizes = Vec::new();
        for i in 0..300 {
            fields.insert(format!("field{i}").into_bytes(), b"value".to_vec());
            sizes.push(key_usage(b"h", &entry(Value::Hash(fields.clone()))));
        }
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
        assert!(sizes[299] > 10 * sizes[0], "{} {}", sizes[0], sizes[299]);
    }

    #[test]
    fn allocations_take_jemallocs_size_classes() {
        let classes: Vec<u64> = [1, 8, 9, 17, 100, 129, 217, 427, 4207, 5383]
            .into_iter()
            .map(alloc)
            .collect();
        assert_eq!(classes, [8, 8, 16, 32, 112, 160, 224, 448, 5120, 6144]);
    }

    #[test]
    fn scores_are_spelled_as_d2string_spells_them() {
        let texts: Vec<String> = [4901.0, -0.0, 1.5, 0.1, -2.5e-7, 1e300]
            .into_iter()
            .map(score_text)
            .collect();
        assert_eq!(
            texts,
            [
                "4901",
                "-0",
                "1.5",
                "0.10000000000000001",
                "-2.4999999999999999e-07",
                "1.0000000000000001e+300"
            ]
        );
    }
}
