//! MessagePack decoding, as lua-cmsgpack reads it: integers and floats
//! become numbers (a uint 64 above `i64::MAX` wraps negative, as the C
//! code's `lua_pushinteger` makes it), `str` and fixstr become strings,
//! arrays become tables indexed from 1, maps tables. `bin`, `ext` and the
//! unused code 0xc1 are "Bad data format".
//!
//! Containers are filled on the Lua stack as the C recursion fills them
//! (table, index, element; table, key, value), with a frame per open
//! container instead of Rust recursion, so the stack limit ("too many
//! return values at once") falls where it does in Redis.

use std::ffi::c_int;

use crate::libs::host::Failure;
use crate::libs::stack::Stack;

/// Working memory of one unpack call.
#[derive(Default)]
pub(in crate::libs) struct Scratch {
    frames: Vec<Container>,
}

/// A container being filled.
enum Container {
    /// `remaining` elements to go, the next at `index`.
    Array { remaining: u64, index: f64 },
    /// `remaining` pairs to go; `has_key` while the pair's value is next.
    Map { remaining: u64, has_key: bool },
}

/// Why decoding stopped early (`mp_cur`'s error codes).
enum Stop {
    MissingBytes,
    BadFormat,
}

/// The input and the read position.
struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn left(&self) -> usize {
        self.data.len() - self.pos
    }

    /// `mp_cur_need`: `n` more bytes from the position, or a stop.
    fn need(&self, n: usize) -> Result<&[u8], Stop> {
        if self.left() < n {
            return Err(Stop::MissingBytes);
        }
        Ok(&self.data[self.pos..self.pos + n])
    }

    /// `n` bytes after a `skip`-byte header, big-endian, as a number.
    fn be(&self, skip: usize, n: usize) -> Result<u64, Stop> {
        let bytes = self.need(skip + n)?;
        Ok(bytes[skip..]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }
}

/// What one header byte (and its payload) gave.
enum Item {
    /// A scalar, now on the stack.
    Pushed,
    Array(u64),
    Map(u64),
}

/// `mp_unpack_full`: decodes up to `limit` values from byte `offset` of
/// argument 1. A limit and an offset both 0 mean all values, without the
/// continuation offset in front.
pub(super) fn unpack(
    lua: Stack,
    scratch: &mut Scratch,
    limit: i64,
    offset: i64,
) -> Result<c_int, Failure> {
    let data = lua.check_bytes(1)?;
    let decode_all = limit == 0 && offset == 0;
    let len = data.len();
    if offset < 0 || limit < 0 {
        // The C code prints the input length where it means the limit.
        return Err(Failure::error(format_args!(
            "Invalid request to unpack with offset of {} and limit of {}.",
            offset as i32, len as i32
        )));
    }
    if offset as u64 > len as u64 {
        return Err(Failure::error(format_args!(
            "Start offset {} greater than input length {}.",
            offset as i32, len as i32
        )));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut cursor = Cursor {
        data,
        pos: offset as usize,
    };
    let mut count: c_int = 0;
    while cursor.left() > 0 && i64::from(count) < limit {
        match decode(lua, &mut cursor, &mut scratch.frames)? {
            Ok(()) => {}
            Err(Stop::MissingBytes) => {
                return Err(Failure::error(format_args!("Missing bytes in input.")))
            }
            Err(Stop::BadFormat) => {
                return Err(Failure::error(format_args!("Bad data format in input.")))
            }
        }
        count += 1;
    }
    if decode_all {
        return Ok(count);
    }
    if !lua.check_stack(1) {
        return Err(Failure::error(format_args!(
            "stack overflow (in function mp_unpack_full)"
        )));
    }
    let next = if cursor.left() == 0 {
        -1.0
    } else {
        cursor.pos as f64
    };
    lua.push_number(next);
    lua.insert(2);
    Ok(count + 1)
}

/// `mp_decode_to_lua_type`: decodes one value onto the stack.
fn decode(
    lua: Stack,
    cursor: &mut Cursor<'_>,
    frames: &mut Vec<Container>,
) -> Result<Result<(), Stop>, Failure> {
    frames.clear();
    'value: loop {
        if cursor.left() < 1 {
            return Ok(Err(Stop::MissingBytes));
        }
        if !lua.check_stack(1) {
            return Err(Failure::error(format_args!(
                "stack overflow (too many return values at once; \
                 use unpack_one or unpack_limit instead.)"
            )));
        }
        match item(lua, cursor) {
            Err(stop) => return Ok(Err(stop)),
            Ok(Item::Pushed) => {}
            Ok(Item::Array(len)) => {
                lua.new_table();
                if !lua.check_stack(1) {
                    return Err(Failure::error(format_args!(
                        "stack overflow (in function mp_decode_to_lua_array)"
                    )));
                }
                if len > 0 {
                    frames.push(Container::Array {
                        remaining: len,
                        index: 1.0,
                    });
                    lua.push_number(1.0);
                    continue 'value;
                }
            }
            Ok(Item::Map(len)) => {
                lua.new_table();
                if len > 0 {
                    frames.push(Container::Map {
                        remaining: len,
                        has_key: false,
                    });
                    continue 'value;
                }
            }
        }
        // A complete value is on top: store it and find the next one.
        loop {
            match frames.last_mut() {
                None => return Ok(Ok(())),
                Some(Container::Array { remaining, index }) => {
                    lua.set_table(-3);
                    *remaining -= 1;
                    if *remaining == 0 {
                        frames.pop();
                        continue;
                    }
                    *index += 1.0;
                    lua.push_number(*index);
                    continue 'value;
                }
                Some(Container::Map { remaining, has_key }) => {
                    if !*has_key {
                        *has_key = true;
                        continue 'value;
                    }
                    // A nil or NaN key raises "table index is nil/NaN" here,
                    // as in C.
                    lua.set_table(-3);
                    *has_key = false;
                    *remaining -= 1;
                    if *remaining == 0 {
                        frames.pop();
                        continue;
                    }
                    continue 'value;
                }
            }
        }
    }
}

/// Reads one header (and a scalar's payload), pushing scalars.
fn item(lua: Stack, cursor: &mut Cursor<'_>) -> Result<Item, Stop> {
    let code = cursor.need(1)?[0];
    let (consumed, item) = match code {
        0xcc => (2, number(lua, cursor.be(1, 1)? as f64)),
        0xd0 => (2, number(lua, f64::from(cursor.be(1, 1)? as u8 as i8))),
        0xcd => (3, number(lua, cursor.be(1, 2)? as f64)),
        0xd1 => (3, number(lua, f64::from(cursor.be(1, 2)? as u16 as i16))),
        0xce => (5, number(lua, cursor.be(1, 4)? as f64)),
        0xd2 => (5, number(lua, f64::from(cursor.be(1, 4)? as u32 as i32))),
        // lua_pushinteger((lua_Integer)u64): above i64::MAX it wraps.
        0xcf | 0xd3 => (9, number(lua, cursor.be(1, 8)? as i64 as f64)),
        0xc0 => {
            lua.push_nil();
            (1, Item::Pushed)
        }
        0xc3 | 0xc2 => {
            lua.push_bool(code == 0xc3);
            (1, Item::Pushed)
        }
        0xca => {
            let f = f32::from_bits(cursor.be(1, 4)? as u32);
            (5, number(lua, f64::from(f)))
        }
        0xcb => (9, number(lua, f64::from_bits(cursor.be(1, 8)?))),
        0xd9 => {
            let len = cursor.be(1, 1)? as usize;
            (2 + len, string(lua, cursor, 2, len)?)
        }
        0xda => {
            let len = cursor.be(1, 2)? as usize;
            (3 + len, string(lua, cursor, 3, len)?)
        }
        0xdb => {
            let len = cursor.be(1, 4)? as usize;
            cursor.pos += 5;
            (len, string(lua, cursor, 0, len)?)
        }
        0xdc => (3, Item::Array(cursor.be(1, 2)?)),
        0xdd => (5, Item::Array(cursor.be(1, 4)?)),
        0xde => (3, Item::Map(cursor.be(1, 2)?)),
        0xdf => (5, Item::Map(cursor.be(1, 4)?)),
        0x00..=0x7f => (1, number(lua, f64::from(code))),
        0xe0..=0xff => (1, number(lua, f64::from(code as i8))),
        0xa0..=0xbf => {
            let len = usize::from(code & 0x1f);
            (1 + len, string(lua, cursor, 1, len)?)
        }
        0x90..=0x9f => (1, Item::Array(u64::from(code & 0xf))),
        0x80..=0x8f => (1, Item::Map(u64::from(code & 0xf))),
        _ => return Err(Stop::BadFormat),
    };
    cursor.pos += consumed;
    Ok(item)
}

fn number(lua: Stack, n: f64) -> Item {
    lua.push_number(n);
    Item::Pushed
}

/// Pushes the `len` bytes after a `skip`-byte header.
fn string(lua: Stack, cursor: &Cursor<'_>, skip: usize, len: usize) -> Result<Item, Stop> {
    let bytes = cursor.need(skip.checked_add(len).ok_or(Stop::MissingBytes)?)?;
    lua.push_bytes(&bytes[skip..]);
    Ok(Item::Pushed)
}
