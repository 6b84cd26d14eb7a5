//! BITFIELD and BITFIELD_RO: integers of 1 to 64 bits (unsigned up to 63)
//! at any bit offset, with Redis's WRAP, SAT and FAIL overflow rules.

use crate::command::Ctx;
use crate::commands::keys::option_is;
use crate::numbers::parse_i64;
use crate::reply::Reply;

use super::{bit_at, bit_offset, read_string, string_for_bits};

#[derive(Clone, Copy, PartialEq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, PartialEq)]
enum OpKind {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Clone, Copy)]
struct Op {
    kind: OpKind,
    signed: bool,
    bits: u32,
    offset: u64,
    overflow: Overflow,
}

const TYPE_ERROR: &str =
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// `i1`..`i64` or `u1`..`u63`.
fn field_type(arg: &[u8]) -> Result<(bool, u32), Reply> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(Reply::error(TYPE_ERROR)),
    };
    // Redis reads the type as a C string: it stops at a NUL byte.
    let digits = arg[1..].split(|&b| b == 0).next().unwrap_or_default();
    match parse_i64(digits) {
        Some(bits) if bits >= 1 && bits <= if signed { 64 } else { 63 } => {
            Ok((signed, bits as u32))
        }
        _ => Err(Reply::error(TYPE_ERROR)),
    }
}

/// Reads every operation first, as Redis does: any argument error is the
/// whole reply and nothing is written.
fn parse_ops(args: &[Vec<u8>]) -> Result<Vec<Op>, Reply> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = &args[j];
        let kind_args = if option_is(sub, "get") && remaining >= 2 {
            2
        } else if (option_is(sub, "set") || option_is(sub, "incrby")) && remaining >= 3 {
            3
        } else if option_is(sub, "overflow") && remaining >= 1 {
            let name = &args[j + 1];
            overflow = if option_is(name, "wrap") {
                Overflow::Wrap
            } else if option_is(name, "sat") {
                Overflow::Sat
            } else if option_is(name, "fail") {
                Overflow::Fail
            } else {
                return Err(Reply::error("ERR Invalid OVERFLOW type specified"));
            };
            j += 2;
            continue;
        } else {
            return Err(Reply::syntax_error());
        };
        let (signed, bits) = field_type(&args[j + 1])?;
        let offset = bit_offset(&args[j + 2], Some(bits))?;
        let kind = if kind_args == 2 {
            OpKind::Get
        } else {
            let value = parse_i64(&args[j + 3]).ok_or_else(Reply::not_integer)?;
            if option_is(sub, "set") {
                OpKind::Set(value)
            } else {
                OpKind::IncrBy(value)
            }
        };
        ops.push(Op {
            kind,
            signed,
            bits,
            offset,
            overflow,
        });
        j += kind_args + 1;
    }
    Ok(ops)
}

/// BITFIELD key [GET type offset] [SET type offset value] [INCRBY type
/// offset increment] [OVERFLOW WRAP|SAT|FAIL] ...
pub fn bitfield(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    run(ctx, args, false)
}

/// BITFIELD_RO key [GET type offset] ...
pub fn bitfield_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    run(ctx, args, true)
}

fn run(ctx: &mut Ctx, args: &[Vec<u8>], read_only: bool) -> Reply {
    let ops = match parse_ops(args) {
        Ok(ops) => ops,
        Err(e) => return e,
    };
    let writes = ops.iter().any(|op| op.kind != OpKind::Get);
    if !writes {
        let bytes = match read_string(ctx, &args[1]) {
            Err(e) => return e,
            Ok(bytes) => bytes.map(<[u8]>::to_vec).unwrap_or_default(),
        };
        return Reply::Array(
            ops.iter()
                .map(|op| Reply::Integer(get_field(&bytes, op.offset, op.bits, op.signed)))
                .collect(),
        );
    }
    if read_only {
        return Reply::error("ERR BITFIELD_RO only supports the GET subcommand");
    }
    let highest = ops
        .iter()
        .filter(|op| op.kind != OpKind::Get)
        .map(|op| op.offset + u64::from(op.bits) - 1)
        .max()
        .unwrap_or(0);
    let key = &args[1];
    let (replies, changed) = match string_for_bits(ctx, key, highest) {
        Err(e) => return e,
        Ok((bytes, grown)) => {
            let mut changed = grown;
            let replies = ops
                .iter()
                .map(|op| apply(bytes, op, &mut changed))
                .collect();
            (replies, changed)
        }
    };
    if changed {
        ctx.db.signal_modified(key);
    }
    Reply::Array(replies)
}

fn apply(bytes: &mut [u8], op: &Op, changed: &mut bool) -> Reply {
    let old = get_field(bytes, op.offset, op.bits, op.signed);
    let (new, reply_value) = match op.kind {
        OpKind::Get => return Reply::Integer(old),
        OpKind::Set(value) => match limit(op, value, 0) {
            Some(new) => (new, old),
            None => return Reply::Null,
        },
        OpKind::IncrBy(incr) => match limit(op, old, incr) {
            Some(new) => (new, new),
            None => return Reply::Null,
        },
    };
    set_field(bytes, op.offset, op.bits, new as u64);
    if new != old {
        *changed = true;
    }
    Reply::Integer(reply_value)
}

/// `value + incr` within the field's range under the op's overflow rule;
/// `None` when it overflows under FAIL. Values are carried as i64 (an
/// unsigned field has at most 63 bits, so it fits).
fn limit(op: &Op, value: i64, incr: i64) -> Option<i64> {
    let bits = op.bits;
    let (min, max): (i128, i128) = if op.signed {
        (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
    } else {
        (0, (1i128 << bits) - 1)
    };
    let sum = i128::from(value) + i128::from(incr);
    if (min..=max).contains(&sum) {
        return Some(sum as i64);
    }
    match op.overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if sum > max { max as i64 } else { min as i64 }),
        Overflow::Wrap => {
            // Two's complement wrap to `bits` bits (64-bit arithmetic, as
            // Redis adds as unsigned).
            let raw = (value as u64).wrapping_add(incr as u64);
            let wrapped = if bits == 64 {
                raw
            } else {
                raw & ((1u64 << bits) - 1)
            };
            Some(if op.signed {
                sign_extend(wrapped, bits)
            } else {
                wrapped as i64
            })
        }
    }
}

fn sign_extend(raw: u64, bits: u32) -> i64 {
    if bits < 64 && raw & (1u64 << (bits - 1)) != 0 {
        (raw | (u64::MAX << bits)) as i64
    } else {
        raw as i64
    }
}

fn get_field(bytes: &[u8], offset: u64, bits: u32, signed: bool) -> i64 {
    let mut raw = 0u64;
    for i in 0..u64::from(bits) {
        raw = (raw << 1) | u64::from(bit_at(bytes, offset + i));
    }
    if signed {
        sign_extend(raw, bits)
    } else {
        raw as i64
    }
}

fn set_field(bytes: &mut [u8], offset: u64, bits: u32, value: u64) {
    for i in 0..u64::from(bits) {
        let bit = (value >> (u64::from(bits) - 1 - i)) & 1 == 1;
        let position = offset + i;
        let mask = 0x80u8 >> (position & 7);
        if let Some(byte) = bytes.get_mut((position >> 3) as usize) {
            if bit {
                *byte |= mask;
            } else {
                *byte &= !mask;
            }
        }
    }
}
