//! `struct`: Roberto Ierusalimschy's struct library as Redis bundles it
//! (`deps/lua/src/lua_struct.c`): `pack`, `unpack` and `size` over a format
//! of options.
//!
//! Formats: `<` `>` set little or big endian (native, little, by default),
//! `!n` sets the maximum alignment (`!` alone: 8), a space is ignored;
//! `b B h H l L T i I` are integers of 1, 2, 8, 8, `n` (default 4, at most
//! 32) bytes, lower case signed, `f d` floats, `cn` a string of `n` bytes
//! (`c0`: the whole string when packing, the preceding number's length when
//! unpacking), `s` a NUL-terminated string, `x` a padding byte. Integers
//! are packed from a double through the C casts of an x86-64 build, so
//! sizes and out-of-range values give what Redis gives.

use std::ffi::c_int;

use mlua::ffi;

use super::host::{push_function, Failure, HostFn, Message};
use super::stack::Stack;
use crate::cnum;

/// Opens the library: the global `struct`, laid out as `luaL_register`
/// lays it out.
///
/// # Safety
/// Protected mode, no destructor pending: it allocates.
pub(crate) unsafe fn open(state: *mut ffi::lua_State) {
    ffi::lua_createtable(state, 0, 3);
    push_function::<Pack>(state, None);
    ffi::lua_setfield(state, -2, c"pack".as_ptr());
    push_function::<Unpack>(state, None);
    ffi::lua_setfield(state, -2, c"unpack".as_ptr());
    push_function::<Size>(state, None);
    ffi::lua_setfield(state, -2, c"size".as_ptr());
    ffi::lua_setglobal(state, c"struct".as_ptr());
}

/// Widest integer option, in bytes.
const MAX_INT_SIZE: i32 = 32;
/// Default for `!`: the alignment of a double on x86-64.
const MAX_ALIGN: i32 = 8;

/// Byte order and maximum alignment, as the format has set them so far.
#[derive(Clone, Copy)]
struct Header {
    little: bool,
    align: u64,
}

impl Default for Header {
    /// Native order (little endian on every target Lockstep runs on, as on
    /// x86-64), no alignment.
    fn default() -> Header {
        Header {
            little: true,
            align: 1,
        }
    }
}

/// A format string with a read position. Reading past the end gives NUL,
/// as the C string would.
struct Format<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn peek(&self) -> u8 {
        self.bytes.get(self.pos).copied().unwrap_or(0)
    }

    /// The next option, or `None` at the end.
    fn next_option(&mut self) -> Option<u8> {
        let opt = self.peek();
        if opt == 0 {
            return None;
        }
        self.pos += 1;
        Some(opt)
    }

    /// `getnum`: a decimal count right after an option, or `default`.
    fn number(&mut self, default: i32) -> Result<i32, Failure> {
        if !self.peek().is_ascii_digit() {
            return Ok(default);
        }
        let mut a: i32 = 0;
        while self.peek().is_ascii_digit() {
            let digit = i32::from(self.peek() - b'0');
            if a > i32::MAX / 10 || a * 10 > i32::MAX - digit {
                return Err(Failure::error(format_args!("integral size overflow")));
            }
            a = a * 10 + digit;
            self.pos += 1;
        }
        Ok(a)
    }

    /// `optsize`: the size of option `opt` (reading its count), 0 for
    /// options without one.
    fn size(&mut self, opt: u8) -> Result<u64, Failure> {
        Ok(match opt {
            b'B' | b'b' | b'x' => 1,
            b'H' | b'h' => 2,
            b'L' | b'l' | b'T' | b'd' => 8,
            b'f' => 4,
            b'c' => self.number(1)? as u64,
            b'i' | b'I' => {
                let size = self.number(4)?;
                if size > MAX_INT_SIZE {
                    return Err(Failure::error(format_args!(
                        "integral size {size} is larger than limit of {MAX_INT_SIZE}"
                    )));
                }
                size as u64
            }
            _ => 0,
        })
    }

    /// `controloptions`: endianness, alignment, spaces; anything else is an
    /// invalid option.
    fn control(&mut self, opt: u8, header: &mut Header) -> Result<(), Failure> {
        match opt {
            b' ' => {}
            b'>' => header.little = false,
            b'<' => header.little = true,
            b'!' => {
                let align = self.number(MAX_ALIGN)?;
                if !(align > 0 && align & (align - 1) == 0) {
                    return Err(Failure::error(format_args!(
                        "alignment {align} is not a power of 2"
                    )));
                }
                header.align = align as u64;
            }
            _ => {
                return Err(Failure::Argument {
                    narg: 1,
                    message: Message::concat(&[b"invalid format option '", &[opt], b"'"]),
                })
            }
        }
        Ok(())
    }
}

/// `gettoalign`: padding before an item of `size` bytes at offset `len`.
/// For sizes that are not powers of two the C arithmetic is kept as is.
fn padding(len: u64, header: Header, opt: u8, size: u64) -> u64 {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(header.align);
    size.wrapping_sub(len & size.wrapping_sub(1)) & size.wrapping_sub(1)
}

fn is_integer_option(opt: u8) -> bool {
    matches!(
        opt,
        b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I'
    )
}

/// `struct.pack(fmt, ...)`.
struct Pack;

impl HostFn for Pack {
    type Scratch = Vec<u8>;

    fn call(lua: Stack, out: &mut Vec<u8>) -> Result<c_int, Failure> {
        let mut fmt = Format {
            bytes: lua.check_c_string(1)?,
            pos: 0,
        };
        let mut header = Header::default();
        let mut arg: c_int = 2;
        let mut total: u64 = 0;
        // The C version pushes a nil to separate the arguments from its
        // string buffer: a missing argument is "got nil", not "no value".
        lua.push_nil();
        while let Some(opt) = fmt.next_option() {
            let mut size = fmt.size(opt)?;
            let pad = padding(total, header, opt, size);
            total = total.wrapping_add(pad);
            out.resize(out.len() + pad as usize, 0);
            match opt {
                _ if is_integer_option(opt) => {
                    let n = lua.check_number(arg)?;
                    arg += 1;
                    put_integer(out, n, header.little, size);
                }
                b'x' => out.push(0),
                b'f' => {
                    let f = lua.check_number(arg)? as f32;
                    arg += 1;
                    put_ordered(out, &f.to_le_bytes(), header.little);
                }
                b'd' => {
                    let d = lua.check_number(arg)?;
                    arg += 1;
                    put_ordered(out, &d.to_le_bytes(), header.little);
                }
                b'c' | b's' => {
                    let s = lua.check_bytes(arg)?;
                    arg += 1;
                    if size == 0 {
                        size = s.len() as u64;
                    }
                    if (s.len() as u64) < size {
                        return Err(Failure::argument(arg, format_args!("string too short")));
                    }
                    out.extend_from_slice(&s[..size as usize]);
                    if opt == b's' {
                        out.push(0);
                        size += 1;
                    }
                }
                _ => fmt.control(opt, &mut header)?,
            }
            total = total.wrapping_add(size);
        }
        lua.push_bytes(out);
        Ok(1)
    }
}

/// `putinteger`: `n` as an unsigned 64-bit value (negative numbers through
/// a signed cast first), `size` bytes of it, zero-filled past the eighth.
fn put_integer(out: &mut Vec<u8>, n: f64, little: bool, size: u64) {
    let mut value = if n < 0.0 {
        cnum::double_to_i64(n) as u64
    } else {
        cnum::double_to_u64(n)
    };
    let start = out.len();
    for _ in 0..size {
        out.push((value & 0xff) as u8);
        value >>= 8;
    }
    if !little {
        out[start..].reverse();
    }
}

/// Appends little-endian `bytes` in the requested order.
fn put_ordered(out: &mut Vec<u8>, bytes: &[u8], little: bool) {
    if little {
        out.extend_from_slice(bytes);
    } else {
        out.extend(bytes.iter().rev());
    }
}

/// `getinteger`: `size` bytes as a number, keeping the low 64 bits and,
/// when signed, extending the sign bit the C way (its shift count is taken
/// modulo 64, as x86-64 does).
fn get_integer(bytes: &[u8], little: bool, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l << 8) | u64::from(b);
    if little {
        bytes.iter().rev().for_each(|&b| push(b));
    } else {
        bytes.iter().for_each(|&b| push(b));
    }
    if !signed {
        return l as f64;
    }
    let shift = ((bytes.len() as u64).wrapping_mul(8).wrapping_sub(1) & 63) as u32;
    let mask = u64::MAX << shift;
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

/// `struct.unpack(fmt, data [, init])`: the values, then the position after
/// them.
struct Unpack;

impl HostFn for Unpack {
    type Scratch = ();

    fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
        let mut fmt = Format {
            bytes: lua.check_c_string(1)?,
            pos: 0,
        };
        let data = lua.check_bytes(2)?;
        let ld = data.len() as u64;
        let mut pos = lua.opt_integer(3, 1)? as u64;
        if pos == 0 {
            return Err(Failure::argument(
                3,
                format_args!("offset must be 1 or greater"),
            ));
        }
        pos -= 1;
        let mut header = Header::default();
        let mut results: c_int = 0;
        let too_short = || Failure::argument(2, format_args!("data string too short"));
        while let Some(opt) = fmt.next_option() {
            let mut size = fmt.size(opt)?;
            pos = pos.wrapping_add(padding(pos, header, opt, size));
            if !(size <= ld && pos <= ld - size) {
                return Err(too_short());
            }
            if !lua.check_stack(2) {
                return Err(Failure::error(format_args!(
                    "stack overflow (too many results)"
                )));
            }
            // In bounds: checked just above.
            let at = pos as usize;
            match opt {
                _ if is_integer_option(opt) => {
                    let bytes = &data[at..at + size as usize];
                    lua.push_number(get_integer(bytes, header.little, opt.is_ascii_lowercase()));
                    results += 1;
                }
                b'x' => {}
                b'f' => {
                    let f = f32::from_le_bytes(ordered(&data[at..at + 4], header.little));
                    lua.push_number(f64::from(f));
                    results += 1;
                }
                b'd' => {
                    let d = f64::from_le_bytes(ordered(&data[at..at + 8], header.little));
                    lua.push_number(d);
                    results += 1;
                }
                b'c' => {
                    if size == 0 {
                        if results == 0 || !lua.is_number(-1) {
                            return Err(Failure::error(format_args!(
                                "format 'c0' needs a previous size"
                            )));
                        }
                        size = cnum::double_to_u64(lua.number(-1));
                        lua.pop(1);
                        results -= 1;
                        if !(size <= ld && pos <= ld - size) {
                            return Err(too_short());
                        }
                    }
                    lua.push_bytes(&data[at..at + size as usize]);
                    results += 1;
                }
                b's' => {
                    let Some(nul) = data[at..].iter().position(|&b| b == 0) else {
                        return Err(Failure::error(format_args!("unfinished string in data")));
                    };
                    size = nul as u64 + 1;
                    lua.push_bytes(&data[at..at + nul]);
                    results += 1;
                }
                _ => fmt.control(opt, &mut header)?,
            }
            pos = pos.wrapping_add(size);
        }
        lua.push_number(pos.wrapping_add(1) as i64 as f64);
        Ok(results + 1)
    }
}

/// `N` bytes from `bytes` as little endian, whatever order they are in.
fn ordered<const N: usize>(bytes: &[u8], little: bool) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&bytes[..N]);
    if !little {
        out.reverse();
    }
    out
}

/// `struct.size(fmt)`: bytes `pack` would produce, for formats without
/// variable-length options.
struct Size;

impl HostFn for Size {
    type Scratch = ();

    fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
        let mut fmt = Format {
            bytes: lua.check_c_string(1)?,
            pos: 0,
        };
        let mut header = Header::default();
        let mut pos: u64 = 0;
        while let Some(opt) = fmt.next_option() {
            let size = fmt.size(opt)?;
            pos = pos.wrapping_add(padding(pos, header, opt, size));
            if opt == b's' {
                return Err(Failure::argument(
                    1,
                    format_args!("option 's' has no fixed size"),
                ));
            }
            if opt == b'c' && size == 0 {
                return Err(Failure::argument(
                    1,
                    format_args!("option 'c0' has no fixed size"),
                ));
            }
            if !opt.is_ascii_alphanumeric() {
                fmt.control(opt, &mut header)?;
            }
            pos = pos.wrapping_add(size);
        }
        lua.push_number(pos as i64 as f64);
        Ok(1)
    }
}
