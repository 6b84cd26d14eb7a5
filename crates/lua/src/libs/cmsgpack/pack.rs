//! MessagePack encoding of Lua values, with lua-cmsgpack's choices:
//! - a number is an integer if a cast to `int64_t` gives it back (so `-0`
//!   and `2^53` are integers, `2^63` is not), in the smallest encoding;
//!   otherwise a 32-bit float if that is exact, else a 64-bit double;
//! - strings use the `str` family (fixstr, str 8/16/32), never `bin`;
//! - a table is an array if its keys are exactly 1..n (n > 0 or empty),
//!   otherwise a map in `next` order;
//! - tables 16 levels deep, and functions, userdata, threads and nil, are
//!   `nil`.
//!
//! Nesting is capped at 16, so Rust recursion is bounded.

use std::ffi::c_int;

use crate::cnum;
use crate::libs::host::Failure;
use crate::libs::stack::{Kind, Stack};

/// Tables nested this deep encode as nil (`LUACMSGPACK_MAX_NESTING`).
const MAX_NESTING: u32 = 16;

/// `mp_encode_lua_type`: appends the value on top of the stack and pops it.
pub(super) fn encode(lua: Stack, buf: &mut Vec<u8>, level: u32) -> Result<(), Failure> {
    match lua.kind(-1) {
        Kind::String => encode_bytes(buf, lua.string_bytes(-1)),
        Kind::Boolean => buf.push(if lua.boolean(-1) { 0xc3 } else { 0xc2 }),
        Kind::Number => encode_number(buf, lua.number(-1)),
        Kind::Table if level < MAX_NESTING => {
            if is_array(lua)? {
                encode_array(lua, buf, level)?;
            } else {
                encode_map(lua, buf, level)?;
            }
        }
        _ => buf.push(0xc0),
    }
    lua.pop(1);
    Ok(())
}

/// `luaL_checkstack` with lua-cmsgpack's message.
fn check_stack(lua: Stack, extra: c_int, function: &str) -> Result<(), Failure> {
    if lua.check_stack(extra) {
        Ok(())
    } else {
        Err(Failure::error(format_args!(
            "stack overflow (in function {function})"
        )))
    }
}

/// `table_is_an_array`: every key a positive integer within `int`, and as
/// many keys as the largest of them.
fn is_array(lua: Stack) -> Result<bool, Failure> {
    check_stack(lua, 2, "table_is_an_array")?;
    let top = lua.top();
    let mut count: i32 = 0;
    let mut max: i32 = 0;
    lua.push_nil();
    while lua.next(-2) {
        lua.pop(1);
        let n = lua.number(-1);
        if lua.kind(-1) != Kind::Number || n <= 0.0 || f64::from(cnum::double_to_i32(n)) != n {
            lua.set_top(top);
            return Ok(false);
        }
        max = max.max(n as i32);
        count = count.wrapping_add(1);
    }
    lua.set_top(top);
    Ok(max == count)
}

/// `mp_encode_lua_table_as_array`. Keys are exactly 1..n here, so raw
/// reads see what the C version's `lua_gettable` sees.
fn encode_array(lua: Stack, buf: &mut Vec<u8>, level: u32) -> Result<(), Failure> {
    let len = lua.len(-1);
    encode_length(buf, len as u64, 0x90, 0xdc);
    check_stack(lua, 1, "mp_encode_lua_table_as_array")?;
    for j in 1..=len {
        // A table with more than i32::MAX entries cannot exist.
        lua.raw_get_index(-1, c_int::try_from(j).unwrap_or(c_int::MAX));
        encode(lua, buf, level + 1)?;
    }
    Ok(())
}

/// `mp_encode_lua_table_as_map`: counts the pairs, then writes them.
fn encode_map(lua: Stack, buf: &mut Vec<u8>, level: u32) -> Result<(), Failure> {
    check_stack(lua, 3, "mp_encode_lua_table_as_map")?;
    let mut len: u64 = 0;
    lua.push_nil();
    while lua.next(-2) {
        lua.pop(1);
        len += 1;
    }
    encode_length(buf, len, 0x80, 0xde);
    lua.push_nil();
    while lua.next(-2) {
        lua.push_value(-2);
        encode(lua, buf, level + 1)?;
        encode(lua, buf, level + 1)?;
    }
    Ok(())
}

/// Array or map header: fix form with `fix | n` up to 15, then 16-bit
/// (`code16`) and 32-bit (`code16 + 1`) lengths.
fn encode_length(buf: &mut Vec<u8>, n: u64, fix: u8, code16: u8) {
    if n <= 15 {
        buf.push(fix | n as u8);
    } else if n <= 0xffff {
        buf.push(code16);
        buf.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        buf.push(code16 + 1);
        buf.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// `mp_encode_bytes`.
fn encode_bytes(buf: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        buf.push(0xa0 | len as u8);
    } else if len <= 0xff {
        buf.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        buf.push(0xda);
        buf.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        buf.push(0xdb);
        buf.extend_from_slice(&(len as u32).to_be_bytes());
    }
    buf.extend_from_slice(s);
}

/// `mp_encode_lua_number`.
fn encode_number(buf: &mut Vec<u8>, n: f64) {
    let as_int = cnum::double_to_i64(n);
    if !n.is_infinite() && as_int as f64 == n {
        encode_int(buf, as_int);
    } else {
        let f = n as f32;
        if f64::from(f) == n {
            buf.push(0xca);
            buf.extend_from_slice(&f.to_be_bytes());
        } else {
            buf.push(0xcb);
            buf.extend_from_slice(&n.to_be_bytes());
        }
    }
}

/// `mp_encode_int`: the smallest encoding, unsigned forms for n >= 0.
fn encode_int(buf: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            buf.push(n as u8);
        } else if n <= 0xff {
            buf.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            buf.push(0xcd);
            buf.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            buf.push(0xce);
            buf.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            buf.push(0xcf);
            buf.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        buf.push(n as u8);
    } else if n >= -128 {
        buf.extend_from_slice(&[0xd0, n as u8]);
    } else if n >= -32768 {
        buf.push(0xd1);
        buf.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        buf.push(0xd2);
        buf.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        buf.push(0xd3);
        buf.extend_from_slice(&n.to_be_bytes());
    }
}
