//! `cjson.encode`: Lua values to JSON text.
//!
//! Tables nest without recursion in Rust: the tables being walked stay on
//! the Lua stack, laid out as the C version's recursion lays them out
//! (parent, then key and value for objects, value for arrays), and a frame
//! per table in the scratch says how far its walk has got. The depth limit
//! (`encode_max_depth`, and `lua_checkstack` past about 4000 levels of
//! objects or 8000 of arrays) therefore bites where it bites in Redis.
//!
//! A table is an array when all its keys are integers from 1, and not too
//! sparse (see [`array_length`]); holes are written as `null`. Everything
//! else is an object, whose number keys are written as strings and whose
//! members come in `next` order.

use std::ffi::c_int;

use super::Config;
use crate::cnum;
use crate::libs::host::Failure;
use crate::libs::stack::{Kind, Stack};

/// Working memory of one `cjson.encode` call.
#[derive(Default)]
pub(in crate::libs) struct Scratch {
    pub(super) json: Vec<u8>,
    frames: Vec<Frame>,
}

/// A table being written.
enum Frame {
    /// Elements `next..=len` are still to come.
    Array { next: c_int, len: c_int },
    /// Members come from `lua_next`; its key sits on top of the table.
    Object { first: bool },
}

/// Appends the JSON for the value on top of the stack to `scratch.json`.
pub(super) fn encode(lua: Stack, config: &Config, scratch: &mut Scratch) -> Result<(), Failure> {
    let Scratch { json, frames } = scratch;
    json.clear();
    frames.clear();
    'value: loop {
        match lua.kind(-1) {
            Kind::String => {
                append_string(json, lua.string_bytes(-1));
                lua.pop(1);
            }
            Kind::Number => {
                append_number(lua, config, json, -1)?;
                lua.pop(1);
            }
            Kind::Boolean => {
                json.extend_from_slice(if lua.boolean(-1) { b"true" } else { b"false" });
                lua.pop(1);
            }
            Kind::Nil => {
                json.extend_from_slice(b"null");
                lua.pop(1);
            }
            Kind::LightUserdata if lua.userdata(-1).is_null() => {
                json.extend_from_slice(b"null");
                lua.pop(1);
            }
            Kind::Table => {
                let depth = frames.len() + 1;
                // Room for a key, a value and an error message.
                if depth > config.encode_max_depth as usize || !lua.check_stack(3) {
                    return Err(Failure::error(format_args!(
                        "Cannot serialise, excessive nesting ({depth})"
                    )));
                }
                let len = array_length(lua, config)?;
                if len > 0 {
                    json.push(b'[');
                    frames.push(Frame::Array { next: 1, len });
                } else {
                    json.push(b'{');
                    frames.push(Frame::Object { first: true });
                    lua.push_nil();
                }
            }
            other => return Err(cannot_serialise(other, "type not supported")),
        }
        // The value is written: move on to the next one still to come.
        loop {
            match frames.last_mut() {
                None => return Ok(()),
                Some(Frame::Array { next, len }) => {
                    if *next > *len {
                        json.push(b']');
                        frames.pop();
                        lua.pop(1);
                        continue;
                    }
                    if *next > 1 {
                        json.push(b',');
                    }
                    lua.raw_get_index(-1, *next);
                    *next += 1;
                    continue 'value;
                }
                Some(Frame::Object { first }) => {
                    if !lua.next(-2) {
                        json.push(b'}');
                        frames.pop();
                        lua.pop(1);
                        continue;
                    }
                    if !*first {
                        json.push(b',');
                    }
                    *first = false;
                    match lua.kind(-2) {
                        Kind::Number => {
                            json.push(b'"');
                            append_number(lua, config, json, -2)?;
                            json.extend_from_slice(b"\":");
                        }
                        Kind::String => {
                            append_string(json, lua.string_bytes(-2));
                            json.push(b':');
                        }
                        other => {
                            return Err(cannot_serialise(
                                other,
                                "table key must be a number or string",
                            ))
                        }
                    }
                    continue 'value;
                }
            }
        }
    }
}

/// `json_encode_exception`.
fn cannot_serialise(kind: Kind, reason: &str) -> Failure {
    Failure::error(format_args!("Cannot serialise {}: {reason}", kind.name()))
}

/// `lua_array_length` for the table on top: its length if every key is an
/// integer of at least 1, else -1 (an object). An array whose largest index
/// is over `safe` and more than `ratio` times its element count is
/// excessively sparse: an error, or an object if `encode_sparse_array`
/// allows converting. The arithmetic is the C code's, in `int`.
fn array_length(lua: Stack, config: &Config) -> Result<c_int, Failure> {
    let mut max: c_int = 0;
    let mut items: c_int = 0;
    lua.push_nil();
    while lua.next(-2) {
        let k = if lua.kind(-2) == Kind::Number {
            lua.number(-2)
        } else {
            0.0
        };
        if k != 0.0 && k.floor() == k && k >= 1.0 {
            if k > f64::from(max) {
                max = cnum::double_to_i32(k);
            }
            items = items.wrapping_add(1);
            lua.pop(1);
            continue;
        }
        lua.pop(2);
        return Ok(-1);
    }
    if config.encode_sparse_ratio > 0
        && max > items.wrapping_mul(config.encode_sparse_ratio)
        && max > config.encode_sparse_safe
    {
        if config.encode_sparse_convert == 0 {
            return Err(cannot_serialise(Kind::Table, "excessively sparse array"));
        }
        return Ok(-1);
    }
    Ok(max)
}

/// `json_append_number`.
fn append_number(
    lua: Stack,
    config: &Config,
    json: &mut Vec<u8>,
    index: c_int,
) -> Result<(), Failure> {
    let num = lua.number(index);
    let invalid = num.is_nan() || num.is_infinite();
    match config.encode_invalid_numbers {
        0 if invalid => return Err(cannot_serialise(Kind::Number, "must not be NaN or Inf")),
        0 => {}
        // Some platforms print NaN as "-nan"; cjson always writes "nan".
        1 if num.is_nan() => {
            json.extend_from_slice(b"nan");
            return Ok(());
        }
        1 => {}
        _ if invalid => {
            json.extend_from_slice(b"null");
            return Ok(());
        }
        _ => {}
    }
    let precision = usize::try_from(config.encode_number_precision).unwrap_or(14);
    cnum::write_g(json, num, precision);
    Ok(())
}

/// `json_append_string`: quotes, with `"`, `\`, `/`, control characters
/// and DEL escaped; other bytes (UTF-8 or not) pass through.
fn append_string(json: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    json.reserve(s.len() + 2);
    json.push(b'"');
    for &b in s {
        match b {
            b'"' => json.extend_from_slice(b"\\\""),
            b'\\' => json.extend_from_slice(b"\\\\"),
            b'/' => json.extend_from_slice(b"\\/"),
            0x08 => json.extend_from_slice(b"\\b"),
            b'\t' => json.extend_from_slice(b"\\t"),
            b'\n' => json.extend_from_slice(b"\\n"),
            0x0c => json.extend_from_slice(b"\\f"),
            b'\r' => json.extend_from_slice(b"\\r"),
            0x00..=0x1f | 0x7f => {
                json.extend_from_slice(b"\\u00");
                json.push(HEX[usize::from(b >> 4)]);
                json.push(HEX[usize::from(b & 15)]);
            }
            _ => json.push(b),
        }
    }
    json.push(b'"');
}
