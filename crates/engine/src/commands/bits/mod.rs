//! Bitmap commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and
//! BITFIELD / BITFIELD_RO (Redis's `bitops.c`).
//!
//! A string is a bit array, most significant bit of the first byte first.
//! Writes past the end grow the string with zero bytes, up to Redis's
//! 512 MB `proto-max-bulk-len`, as Redis does.

mod field;

use crate::command::{flags, spec, CommandSpec, Ctx, FIRST_KEY};
use crate::commands::keys::option_is;
use crate::keyspace::Entry;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::value::Value;

pub use field::{bitfield, bitfield_ro};

const W: u32 = flags::WRITE;
const R: u32 = flags::READONLY;
const M: u32 = flags::DENYOOM;

/// Flags and key positions as `COMMAND INFO` reports them in Redis 7.0.
pub const COMMANDS: &[CommandSpec] = &[
    spec("setbit", 4, W | M, FIRST_KEY, setbit),
    spec("getbit", 3, R | flags::FAST, FIRST_KEY, getbit),
    spec("bitcount", -2, R, FIRST_KEY, bitcount),
    spec("bitpos", -3, R, FIRST_KEY, bitpos),
    spec("bitop", -4, W | M, (2, -1, 1), bitop),
    spec("bitfield", -2, W | M, FIRST_KEY, bitfield),
    spec("bitfield_ro", -2, R | flags::FAST, FIRST_KEY, bitfield_ro),
];

/// Redis's `proto-max-bulk-len` default, in bytes.
const MAX_BYTES: u64 = 512 * 1024 * 1024;

const OFFSET_ERROR: &str = "ERR bit offset is not an integer or out of range";

/// Redis's `getBitOffsetFromArgument`: a non-negative bit offset below
/// 512 MB of bytes; with `bits` (BITFIELD), `#N` means N times `bits`.
fn bit_offset(arg: &[u8], bits: Option<u32>) -> Result<u64, Reply> {
    let (hash, digits) = match (arg.first(), bits) {
        (Some(b'#'), Some(b)) if b > 0 => (Some(b), &arg[1..]),
        _ => (None, arg),
    };
    let mut offset = parse_i64(digits).ok_or_else(|| Reply::error(OFFSET_ERROR))?;
    if let Some(bits) = hash {
        offset = offset.wrapping_mul(i64::from(bits));
    }
    if offset < 0 || (offset as u64 >> 3) >= MAX_BYTES {
        return Err(Reply::error(OFFSET_ERROR));
    }
    Ok(offset as u64)
}

/// The string at `key` for reading (`None` if missing).
fn read_string<'a>(ctx: &'a mut Ctx, key: &[u8]) -> Result<Option<&'a [u8]>, Reply> {
    let now = ctx.now_ms;
    match ctx.db.get(key, now) {
        None => Ok(None),
        Some(Entry {
            value: Value::String(bytes),
            ..
        }) => Ok(Some(bytes)),
        Some(_) => Err(Reply::wrong_type()),
    }
}

/// Redis's `lookupStringForBitCommand`: the string at `key`, created or
/// grown with zero bytes so bit `max_bit` exists. Returns whether it was
/// created or grown (which counts as a change even if no bit flips).
fn string_for_bits<'a>(
    ctx: &'a mut Ctx,
    key: &[u8],
    max_bit: u64,
) -> Result<(&'a mut Vec<u8>, bool), Reply> {
    let now = ctx.now_ms;
    let needed = (max_bit >> 3) as usize + 1;
    match ctx.db.get(key, now) {
        None => ctx.db.set(key, Value::String(Vec::new()), false),
        Some(Entry {
            value: Value::String(_),
            ..
        }) => {}
        Some(_) => return Err(Reply::wrong_type()),
    }
    match ctx.db.get_mut(key, now) {
        Some(Entry {
            value: Value::String(bytes),
            ..
        }) => {
            let grown = bytes.len() < needed;
            if grown {
                bytes.resize(needed, 0);
            }
            Ok((bytes, grown))
        }
        _ => Err(Reply::wrong_type()),
    }
}

fn bit_at(bytes: &[u8], bit: u64) -> bool {
    bytes
        .get((bit >> 3) as usize)
        .is_some_and(|b| b & (0x80 >> (bit & 7)) != 0)
}

/// SETBIT key offset value: the bit's old value.
fn setbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let offset = match bit_offset(&args[2], None) {
        Ok(offset) => offset,
        Err(e) => return e,
    };
    let on = match parse_i64(&args[3]) {
        Some(v @ (0 | 1)) => v == 1,
        _ => return Reply::error("ERR bit is not an integer or out of range"),
    };
    let key = &args[1];
    let (old, changed) = match string_for_bits(ctx, key, offset) {
        Err(e) => return e,
        Ok((bytes, grown)) => {
            let old = bit_at(bytes, offset);
            let byte = &mut bytes[(offset >> 3) as usize];
            let mask = 0x80u8 >> (offset & 7);
            if on {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
            (old, grown || old != on)
        }
    };
    if changed {
        ctx.db.signal_modified(key);
    }
    Reply::Integer(i64::from(old))
}

/// GETBIT key offset: 0 past the end or for a missing key.
fn getbit(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let offset = match bit_offset(&args[2], None) {
        Ok(offset) => offset,
        Err(e) => return e,
    };
    match read_string(ctx, &args[1]) {
        Err(e) => e,
        Ok(bytes) => Reply::Integer(i64::from(bytes.is_some_and(|b| bit_at(b, offset)))),
    }
}

/// A `start end [BYTE|BIT]` range normalised as Redis does: negative
/// indexes count from the end, then clamped. `None` when empty. The
/// result is in bits, inclusive.
fn bit_range(len_bytes: usize, start: i64, end: i64, in_bits: bool) -> Option<(u64, u64)> {
    let total = if in_bits {
        len_bytes as i64 * 8
    } else {
        len_bytes as i64
    };
    let mut start = if start < 0 { total + start } else { start };
    let mut end = if end < 0 { total + end } else { end };
    start = start.max(0);
    end = end.max(0);
    if end >= total {
        end = total - 1;
    }
    if start > end {
        return None;
    }
    if in_bits {
        Some((start as u64, end as u64))
    } else {
        Some((start as u64 * 8, end as u64 * 8 + 7))
    }
}

fn unit_is_bit(arg: &[u8]) -> Result<bool, Reply> {
    if option_is(arg, "bit") {
        Ok(true)
    } else if option_is(arg, "byte") {
        Ok(false)
    } else {
        Err(Reply::syntax_error())
    }
}

/// BITCOUNT key [start end [BYTE|BIT]]: the key is looked up before the
/// range is read, so a missing key counts 0 whatever the range says.
fn bitcount(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let bytes = match read_string(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) => return Reply::Integer(0),
        Ok(Some(bytes)) => bytes.to_vec(),
    };
    let range = match args.len() {
        2 => bit_range(bytes.len(), 0, -1, false),
        4 | 5 => {
            let (Some(start), Some(end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
                return Reply::not_integer();
            };
            if start < 0 && end < 0 && start > end {
                return Reply::Integer(0);
            }
            let in_bits = match args.get(4).map(|a| unit_is_bit(a)) {
                Some(Err(e)) => return e,
                Some(Ok(b)) => b,
                None => false,
            };
            bit_range(bytes.len(), start, end, in_bits)
        }
        _ => return Reply::syntax_error(),
    };
    let Some((first, last)) = range else {
        return Reply::Integer(0);
    };
    ctx.charge(((last - first) / 8) as usize);
    Reply::Integer(count_ones(&bytes, first, last) as i64)
}

fn count_ones(bytes: &[u8], first: u64, last: u64) -> u64 {
    let (first_byte, last_byte) = ((first >> 3) as usize, (last >> 3) as usize);
    let mut count: u64 = bytes[first_byte..=last_byte]
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    // Bits of the first and last bytes outside the range.
    let head = bytes[first_byte] & !(0xffu8 >> (first & 7));
    let tail_mask: u8 = if last & 7 == 7 {
        0
    } else {
        0xff >> ((last & 7) + 1)
    };
    let tail = bytes[last_byte] & tail_mask;
    count -= u64::from(head.count_ones()) + u64::from(tail.count_ones());
    count
}

/// BITPOS key bit [start [end [BYTE|BIT]]]: the first bit set to `bit`,
/// or -1. Looking for a 0 with no end given finds the first bit past the
/// string (the string reads as followed by zeros), as in Redis.
fn bitpos(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let bit = match parse_i64(&args[2]) {
        None => return Reply::not_integer(),
        Some(b @ (0 | 1)) => b == 1,
        Some(_) => return Reply::error("ERR The bit argument must be 1 or 0."),
    };
    let bytes = match read_string(ctx, &args[1]) {
        Err(e) => return e,
        Ok(None) => return Reply::Integer(if bit { -1 } else { 0 }),
        Ok(Some(bytes)) => bytes.to_vec(),
    };
    let mut end_given = false;
    let range = match args.len() {
        3 => bit_range(bytes.len(), 0, -1, false),
        4..=6 => {
            let Some(start) = parse_i64(&args[3]) else {
                return Reply::not_integer();
            };
            let in_bits = match args.get(5).map(|a| unit_is_bit(a)) {
                Some(Err(e)) => return e,
                Some(Ok(b)) => b,
                None => false,
            };
            let end = match args.get(4) {
                Some(arg) => match parse_i64(arg) {
                    None => return Reply::not_integer(),
                    Some(end) => {
                        end_given = true;
                        end
                    }
                },
                None => -1,
            };
            bit_range(bytes.len(), start, end, in_bits)
        }
        _ => return Reply::syntax_error(),
    };
    let Some((first, last)) = range else {
        return Reply::Integer(-1);
    };
    ctx.charge(((last - first) / 8) as usize);
    if let Some(found) = (first..=last).find(|&b| bit_at(&bytes, b) == bit) {
        return Reply::Integer(found as i64);
    }
    if bit || end_given {
        Reply::Integer(-1)
    } else {
        Reply::Integer(((last >> 3) + 1) as i64 * 8)
    }
}

/// BITOP AND|OR|XOR|NOT destkey key [key ...]: the result's length (the
/// longest source; shorter ones read as zero-padded). An empty result
/// deletes `destkey`.
fn bitop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    #[derive(Clone, Copy, PartialEq)]
    enum Op {
        And,
        Or,
        Xor,
        Not,
    }
    let op = if option_is(&args[1], "and") {
        Op::And
    } else if option_is(&args[1], "or") {
        Op::Or
    } else if option_is(&args[1], "xor") {
        Op::Xor
    } else if option_is(&args[1], "not") {
        Op::Not
    } else {
        return Reply::syntax_error();
    };
    if op == Op::Not && args.len() != 4 {
        return Reply::error("ERR BITOP NOT must be called with a single source key.");
    }
    let mut sources = Vec::with_capacity(args.len() - 3);
    for key in &args[3..] {
        match read_string(ctx, key) {
            Err(e) => return e,
            Ok(bytes) => sources.push(bytes.map(<[u8]>::to_vec).unwrap_or_default()),
        }
    }
    let max_len = sources.iter().map(Vec::len).max().unwrap_or(0);
    let mut result = vec![0u8; max_len];
    for (i, out) in result.iter_mut().enumerate() {
        let byte = |s: &Vec<u8>| s.get(i).copied().unwrap_or(0);
        let mut value = byte(&sources[0]);
        if op == Op::Not {
            value = !value;
        }
        for source in &sources[1..] {
            match op {
                Op::And => value &= byte(source),
                Op::Or => value |= byte(source),
                Op::Xor => value ^= byte(source),
                Op::Not => {}
            }
        }
        *out = value;
    }
    ctx.charge(max_len * sources.len() / 8);
    let dest = &args[2];
    if max_len > 0 {
        ctx.db.set(dest, Value::String(result), false);
    } else {
        let now = ctx.now_ms;
        ctx.db.expire_if_needed(dest, now);
        ctx.db.remove(dest);
    }
    Reply::Integer(max_len as i64)
}

#[cfg(test)]
mod tests;
