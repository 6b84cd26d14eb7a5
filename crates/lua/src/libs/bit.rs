//! `bit`: LuaBitOp 1.0.2, as Redis bundles it (`deps/lua/src/lua_bit.c`).
//!
//! Operands are Lua numbers (doubles) reduced to 32 bits the way LuaBitOp
//! does it: add 2^52 + 2^51 and keep the low word of the double's bits,
//! which wraps any integral value modulo 2^32 and rounds fractions to
//! nearest even. Results are signed 32-bit numbers. Strings that Lua
//! converts to numbers are accepted; anything else is `number expected`.

use std::ffi::c_int;

use mlua::ffi;

use super::host::{push_function, Failure, HostFn};
use super::stack::{Kind, Stack};

/// Opens the library: the global `bit`, a table laid out as
/// `luaL_register` lays it out (sized for its twelve functions, filled in
/// registration order, which is what `pairs(bit)` walks).
///
/// # Safety
/// Protected mode, no destructor pending: it allocates.
pub(crate) unsafe fn open(state: *mut ffi::lua_State) {
    ffi::lua_createtable(state, 0, 12);
    register::<ToBit>(state, c"tobit");
    register::<Bnot>(state, c"bnot");
    register::<Band>(state, c"band");
    register::<Bor>(state, c"bor");
    register::<Bxor>(state, c"bxor");
    register::<Lshift>(state, c"lshift");
    register::<Rshift>(state, c"rshift");
    register::<Arshift>(state, c"arshift");
    register::<Rol>(state, c"rol");
    register::<Ror>(state, c"ror");
    register::<Bswap>(state, c"bswap");
    register::<ToHex>(state, c"tohex");
    ffi::lua_setglobal(state, c"bit".as_ptr());
}

unsafe fn register<F: HostFn>(state: *mut ffi::lua_State, name: &std::ffi::CStr) {
    push_function::<F>(state, None);
    ffi::lua_setfield(state, -2, name.as_ptr());
}

/// `barg`: argument `narg` as 32 bits.
fn arg(lua: Stack, narg: c_int) -> Result<u32, Failure> {
    let n = lua.number(narg) + 6_755_399_441_055_744.0;
    // Truncation to the low word is the point.
    let bits = n.to_bits() as u32;
    if bits == 0 && !lua.is_number(narg) {
        return Err(Failure::type_error(lua, narg, "number"));
    }
    Ok(bits)
}

/// `BRET`: the result as a signed 32-bit number.
fn ret(lua: Stack, bits: u32) -> Result<c_int, Failure> {
    lua.push_number(f64::from(bits as i32));
    Ok(1)
}

/// Declares a function of one operand.
macro_rules! unary {
    ($(#[$doc:meta])* $name:ident, |$b:ident| $body:expr) => {
        $(#[$doc])*
        struct $name;

        impl HostFn for $name {
            type Scratch = ();

            fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
                let $b = arg(lua, 1)?;
                ret(lua, $body)
            }
        }
    };
}

/// Declares a function folding all its operands (at least one).
macro_rules! fold {
    ($(#[$doc:meta])* $name:ident, $op:tt) => {
        $(#[$doc])*
        struct $name;

        impl HostFn for $name {
            type Scratch = ();

            fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
                let mut b = arg(lua, 1)?;
                // From the last argument down, as LuaBitOp reads them: with
                // two bad arguments, the last one is reported.
                let mut narg = lua.top();
                while narg > 1 {
                    b $op arg(lua, narg)?;
                    narg -= 1;
                }
                ret(lua, b)
            }
        }
    };
}

/// Declares a shift or rotation: operand, then a count taken modulo 32.
macro_rules! shift {
    ($(#[$doc:meta])* $name:ident, |$b:ident, $n:ident| $body:expr) => {
        $(#[$doc])*
        struct $name;

        impl HostFn for $name {
            type Scratch = ();

            fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
                let $b = arg(lua, 1)?;
                let $n = arg(lua, 2)? & 31;
                ret(lua, $body)
            }
        }
    };
}

unary!(
    /// `bit.tobit(x)`: x normalised to a signed 32-bit number.
    ToBit, |b| b
);
unary!(
    /// `bit.bnot(x)`.
    Bnot, |b| !b
);
unary!(
    /// `bit.bswap(x)`: byte order reversed.
    Bswap, |b| b.swap_bytes()
);
fold!(
    /// `bit.band(x, ...)`.
    Band, &=
);
fold!(
    /// `bit.bor(x, ...)`.
    Bor, |=
);
fold!(
    /// `bit.bxor(x, ...)`.
    Bxor, ^=
);
shift!(
    /// `bit.lshift(x, n)`.
    Lshift, |b, n| b << n
);
shift!(
    /// `bit.rshift(x, n)`: logical.
    Rshift, |b, n| b >> n
);
shift!(
    /// `bit.arshift(x, n)`: arithmetic, copying the sign bit.
    Arshift, |b, n| ((b as i32) >> n) as u32
);
shift!(
    /// `bit.rol(x, n)`.
    Rol, |b, n| b.rotate_left(n)
);
shift!(
    /// `bit.ror(x, n)`.
    Ror, |b, n| b.rotate_right(n)
);

/// `bit.tohex(x [, n])`: the low `|n|` hex digits (8 by default, at most
/// 8), upper case when `n` is negative.
struct ToHex;

impl HostFn for ToHex {
    type Scratch = ();

    fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
        let mut b = arg(lua, 1)?;
        let mut n = if lua.kind(2) == Kind::None {
            8
        } else {
            arg(lua, 2)? as i32
        };
        // Redis's fix for CVE-2024-31449: -INT32_MIN would overflow.
        if n == i32::MIN {
            n = i32::MIN + 1;
        }
        let digits: &[u8; 16] = if n < 0 {
            n = -n;
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let n = n.min(8) as usize;
        let mut buf = [0u8; 8];
        for slot in buf[..n].iter_mut().rev() {
            *slot = digits[(b & 15) as usize];
            b >>= 4;
        }
        lua.push_bytes(&buf[..n]);
        Ok(1)
    }
}
