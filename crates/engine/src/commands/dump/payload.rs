//! The serialized form DUMP writes and RESTORE reads.
//!
//! The layout is Redis's envelope — a type byte, the value, the RDB
//! version as two little-endian bytes, and a CRC-64 (Jones polynomial, as
//! Redis's `crc64`) of everything before it, little-endian — so RESTORE
//! checks a payload exactly as Redis's `verifyDumpPayload` does. The value
//! inside uses RDB's type numbers but the model's own simple encoding
//! (lengths as 8-byte little-endian integers), not Redis's RDB encoding:
//! a payload round-trips through the model, not between the model and a
//! real server.

use indexmap::IndexMap;

use crate::types::set::SetValue;
use crate::types::zset::{ListpackLimits, SortedSet};
use crate::value::Value;

/// Redis 7.0's `RDB_VERSION`.
pub const RDB_VERSION: u16 = 10;

const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;

/// Why a payload cannot be restored; each maps to Redis's error.
#[derive(Debug, PartialEq, Eq)]
pub enum PayloadError {
    /// `DUMP payload version or checksum are wrong`.
    Envelope,
    /// `Bad data format`.
    Data,
}

/// Values DUMP cannot serialize in the model (streams).
#[derive(Debug, PartialEq, Eq)]
pub struct Unsupported;

pub fn serialize(value: &Value) -> Result<Vec<u8>, Unsupported> {
    let mut out = Vec::new();
    match value {
        Value::String(bytes) => {
            out.push(TYPE_STRING);
            put_bytes(&mut out, bytes);
        }
        Value::List(items) => {
            out.push(TYPE_LIST);
            put_len(&mut out, items.len());
            for item in items {
                put_bytes(&mut out, item);
            }
        }
        Value::Set(set) => {
            out.push(TYPE_SET);
            put_len(&mut out, set.len());
            for member in set.iter() {
                put_bytes(&mut out, &member);
            }
        }
        Value::ZSet(zset) => {
            out.push(TYPE_ZSET);
            put_len(&mut out, zset.len());
            for (member, score) in zset.iter() {
                put_bytes(&mut out, member);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        Value::Hash(fields) => {
            out.push(TYPE_HASH);
            put_len(&mut out, fields.len());
            for (field, value) in fields {
                put_bytes(&mut out, field);
                put_bytes(&mut out, value);
            }
        }
        Value::Stream(_) => return Err(Unsupported),
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Checks the envelope, then reads the value. Sorted sets are built with
/// `limits`, so they get the encoding Redis would give them on load.
pub fn deserialize(payload: &[u8], limits: ListpackLimits) -> Result<Value, PayloadError> {
    if payload.len() < 10 {
        return Err(PayloadError::Envelope);
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    if version > RDB_VERSION {
        return Err(PayloadError::Envelope);
    }
    let mut crc_bytes = [0u8; 8];
    crc_bytes.copy_from_slice(&footer[2..]);
    let with_version = &payload[..payload.len() - 8];
    if crc64(0, with_version) != u64::from_le_bytes(crc_bytes) {
        return Err(PayloadError::Envelope);
    }
    let mut reader = Reader { rest: body };
    let value = reader.value(limits).ok_or(PayloadError::Data)?;
    if !reader.rest.is_empty() {
        return Err(PayloadError::Data);
    }
    Ok(value)
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(&(len as u64).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.rest.len() < n {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn len(&mut self) -> Option<usize> {
        let mut raw = [0u8; 8];
        raw.copy_from_slice(self.take(8)?);
        let len = u64::from_le_bytes(raw);
        // No element can be longer than what is left of the payload.
        usize::try_from(len).ok().filter(|&l| l <= self.rest.len())
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let len = self.len()?;
        self.take(len).map(<[u8]>::to_vec)
    }

    fn value(&mut self, limits: ListpackLimits) -> Option<Value> {
        let kind = *self.take(1)?.first()?;
        match kind {
            TYPE_STRING => Some(Value::String(self.bytes()?)),
            TYPE_LIST => {
                let n = self.len()?;
                let items = (0..n).map(|_| self.bytes()).collect::<Option<_>>()?;
                Some(Value::List(items))
            }
            TYPE_SET => {
                let n = self.len()?;
                let mut set: Option<SetValue> = None;
                for _ in 0..n {
                    let member = self.bytes()?;
                    set.get_or_insert_with(|| SetValue::for_first_member(&member))
                        .insert(&member);
                }
                set.filter(|s| !s.is_empty()).map(Value::Set)
            }
            TYPE_ZSET => {
                let n = self.len()?;
                let mut zset = SortedSet::with_expected_len(n, limits);
                zset.set_limits(limits);
                for _ in 0..n {
                    let member = self.bytes()?;
                    let mut raw = [0u8; 8];
                    raw.copy_from_slice(self.take(8)?);
                    let score = f64::from_le_bytes(raw);
                    if score.is_nan() {
                        return None;
                    }
                    zset.insert(&member, score);
                }
                (!zset.is_empty()).then_some(Value::ZSet(zset))
            }
            TYPE_HASH => {
                let n = self.len()?;
                let mut fields = IndexMap::new();
                for _ in 0..n {
                    let field = self.bytes()?;
                    let value = self.bytes()?;
                    fields.insert(field, value);
                }
                (!fields.is_empty()).then_some(Value::Hash(fields))
            }
            _ => None,
        }
    }
}

/// Redis's `crc64`: the Jones polynomial, reflected, initial value 0.
pub fn crc64(mut crc: u64, data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5; // 0xad93d23594c935a9 reflected
    for &byte in data {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis_check_value() {
        // Redis's crc64.c test: crc64(0, "123456789") = e9c6d914c4b8d9ca.
        assert_eq!(crc64(0, b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn every_kind_round_trips_and_corruption_is_caught() {
        let mut fields = IndexMap::new();
        fields.insert(b"f".to_vec(), b"v".to_vec());
        let mut zset = SortedSet::new();
        zset.insert(b"a", 1.5);
        let mut set = SetValue::for_first_member(b"1");
        set.insert(b"1");
        set.insert(b"x");
        let values = [
            Value::String(b"hello".to_vec()),
            Value::List(vec![b"a".to_vec(), b"b".to_vec()].into()),
            Value::Set(set),
            Value::ZSet(zset),
            Value::Hash(fields),
        ];
        for value in values {
            let payload = serialize(&value).expect("serializable");
            assert_eq!(deserialize(&payload, ListpackLimits::default()), Ok(value));
            let mut broken = payload.clone();
            broken[1] ^= 1;
            assert_eq!(
                deserialize(&broken, ListpackLimits::default()),
                Err(PayloadError::Envelope)
            );
        }
        assert_eq!(
            deserialize(b"short", ListpackLimits::default()),
            Err(PayloadError::Envelope)
        );
    }

    #[test]
    fn a_valid_envelope_around_garbage_is_bad_data() {
        let mut body = vec![TYPE_LIST, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        body.extend_from_slice(&RDB_VERSION.to_le_bytes());
        let crc = crc64(0, &body);
        body.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(
            deserialize(&body, ListpackLimits::default()),
            Err(PayloadError::Data)
        );
    }
}
