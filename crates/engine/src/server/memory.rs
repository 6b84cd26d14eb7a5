//! An estimate of the memory a Redis 7.0 node would use, for MEMORY USAGE,
//! INFO's `used_memory` and maxmemory.
//!
//! The model does not allocate like Redis, so the numbers are estimates
//! built from Redis's layouts: a 16-byte object header per value, an SDS
//! header and terminator per string, 24 bytes per dict entry, a listpack's
//! per-entry overhead, allocations rounded up to the allocator's 8-byte
//! classes. They grow and shrink as Redis's do — with the number and size
//! of keys and elements — which is what a learner (or a test) watches;
//! the exact byte counts of a real server are not reproduced.

use crate::keyspace::{Entry, Keyspace};
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
/// Per-element overhead inside a listpack (length prefix and backlen).
const LISTPACK_ENTRY: u64 = 2;
/// A listpack's header and terminator.
const LISTPACK_HEADER: u64 = 7;
/// A skiplist node beyond its element: score, backward pointer, levels.
const SKIPLIST_NODE: u64 = 40;

/// Rounds an allocation up to the allocator's 8-byte classes.
fn alloc(bytes: u64) -> u64 {
    bytes.div_ceil(8) * 8
}

/// An SDS string of `len` bytes: a small header and the NUL.
fn sds(len: usize) -> u64 {
    let header = match len {
        0..=255 => 3,
        256..=65_535 => 5,
        _ => 9,
    };
    alloc(len as u64 + header)
}

/// MEMORY USAGE: the key's entry, name and value (and its expiry entry).
pub fn key_usage(key: &[u8], entry: &Entry) -> u64 {
    let expiry = if entry.expire_at_ms.is_some() {
        DICT_ENTRY
    } else {
        0
    };
    DICT_ENTRY + sds(key.len()) + value_usage(&entry.value) + expiry
}

fn value_usage(value: &Value) -> u64 {
    match value {
        Value::String(bytes) => {
            if bytes.len() <= 20 && crate::numbers::parse_i64(bytes).is_some() {
                OBJECT
            } else if bytes.len() <= 44 {
                alloc(OBJECT + bytes.len() as u64 + 4)
            } else {
                OBJECT + sds(bytes.len())
            }
        }
        Value::List(items) => {
            let payload: u64 = items.iter().map(|i| i.len() as u64 + LISTPACK_ENTRY).sum();
            // A quicklist of 8 kB listpack nodes.
            let nodes = payload.div_ceil(8192).max(1);
            OBJECT + 40 + nodes * (32 + LISTPACK_HEADER) + alloc(payload)
        }
        Value::Hash(fields) => {
            let per_pair: u64 = fields
                .iter()
                .map(|(f, v)| f.len() as u64 + v.len() as u64)
                .sum();
            OBJECT + collection(fields.len(), per_pair, 2)
        }
        Value::Set(set) => {
            let members: u64 = set.iter().map(|m| m.len() as u64).sum();
            if set.encoding() == "intset" {
                OBJECT + alloc(8 + 8 * set.len() as u64)
            } else {
                OBJECT + collection(set.len(), members, 1)
            }
        }
        Value::ZSet(zset) => {
            let members: u64 = zset.iter().map(|(m, _)| m.len() as u64 + 8).sum();
            if zset.encoding() == "listpack" {
                OBJECT + alloc(LISTPACK_HEADER + members + 2 * LISTPACK_ENTRY * zset.len() as u64)
            } else {
                OBJECT + collection(zset.len(), members, 1) + SKIPLIST_NODE * zset.len() as u64
            }
        }
        Value::Stream(stream) => OBJECT + 64 + 100 * stream.len(),
    }
}

/// A listpack while small, a dict of entries beyond: `strings` SDS per
/// element when a dict.
fn collection(len: usize, payload: u64, strings: u64) -> u64 {
    let len = len as u64;
    if len <= 128 && payload <= 64 * strings * len.max(1) {
        alloc(LISTPACK_HEADER + payload + strings * LISTPACK_ENTRY * len)
    } else {
        let buckets = len.next_power_of_two() * 8;
        buckets + len * (DICT_ENTRY + strings * 3) + alloc(payload + strings * len * 3)
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
        let mut fields = indexmap::IndexMap::new();
        let mut last = 0;
        for i in 0..300 {
            fields.insert(format!("field{i}").into_bytes(), b"value".to_vec());
            let now = key_usage(b"h", &entry(Value::Hash(fields.clone())));
            assert!(now > last, "{i}: {now} <= {last}");
            last = now;
        }
    }
}
