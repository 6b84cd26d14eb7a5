//! `cmsgpack`: lua-cmsgpack 0.4.0 as Redis bundles it
//! (`deps/lua/src/lua_cmsgpack.c`).
//!
//! `pack(...)` encodes each argument and concatenates the results;
//! `unpack(data)` decodes every value in `data`; `unpack_one(data [, offset])`
//! and `unpack_limit(data, limit [, offset])` decode at most 1 or `limit`
//! values from byte `offset` (0-based) and return first the offset to
//! continue from (-1 at the end). One quirk is kept: a limit and an offset
//! both 0 mean "everything", and then no offset is returned.

mod pack;
mod unpack;

use std::ffi::c_int;

use mlua::ffi;

use super::host::{push_function, Failure, HostFn};
use super::stack::Stack;

/// Opens the library: the global `cmsgpack`, a table filled in the C
/// version's order.
///
/// # Safety
/// Protected mode, no destructor pending: it allocates.
pub(crate) unsafe fn open(state: *mut ffi::lua_State) {
    ffi::lua_createtable(state, 0, 0);
    push_function::<Pack>(state, None);
    ffi::lua_setfield(state, -2, c"pack".as_ptr());
    push_function::<Unpack>(state, None);
    ffi::lua_setfield(state, -2, c"unpack".as_ptr());
    push_function::<UnpackOne>(state, None);
    ffi::lua_setfield(state, -2, c"unpack_one".as_ptr());
    push_function::<UnpackLimit>(state, None);
    ffi::lua_setfield(state, -2, c"unpack_limit".as_ptr());
    for (name, value) in [
        (c"_NAME", c"cmsgpack"),
        (c"_VERSION", c"lua-cmsgpack 0.4.0"),
        (c"_COPYRIGHT", c"Copyright (C) 2012, Salvatore Sanfilippo"),
        (c"_DESCRIPTION", c"MessagePack C implementation for Lua"),
    ] {
        ffi::lua_pushstring(state, value.as_ptr());
        ffi::lua_setfield(state, -2, name.as_ptr());
    }
    ffi::lua_setglobal(state, c"cmsgpack".as_ptr());
}

/// `cmsgpack.pack(...)`.
struct Pack;

impl HostFn for Pack {
    type Scratch = Vec<u8>;

    fn call(lua: Stack, buf: &mut Vec<u8>) -> Result<c_int, Failure> {
        let nargs = lua.top();
        if nargs == 0 {
            return Err(Failure::argument(
                0,
                format_args!("MessagePack pack needs input."),
            ));
        }
        if !lua.check_stack(nargs) {
            return Err(Failure::argument(
                0,
                format_args!("Too many arguments for MessagePack pack."),
            ));
        }
        for narg in 1..=nargs {
            if !lua.check_stack(1) {
                return Err(Failure::error(format_args!(
                    "stack overflow (in function mp_check)"
                )));
            }
            lua.push_value(narg);
            buf.clear();
            pack::encode(lua, buf, 0)?;
            lua.push_bytes(buf);
        }
        lua.concat(nargs);
        Ok(1)
    }
}

/// `cmsgpack.unpack(data)`.
struct Unpack;

impl HostFn for Unpack {
    type Scratch = unpack::Scratch;

    fn call(lua: Stack, scratch: &mut unpack::Scratch) -> Result<c_int, Failure> {
        unpack::unpack(lua, scratch, 0, 0)
    }
}

/// `cmsgpack.unpack_one(data [, offset])`.
struct UnpackOne;

impl HostFn for UnpackOne {
    type Scratch = unpack::Scratch;

    fn call(lua: Stack, scratch: &mut unpack::Scratch) -> Result<c_int, Failure> {
        let offset = lua.opt_integer(2, 0)?;
        keep_first_argument(lua);
        unpack::unpack(lua, scratch, 1, offset)
    }
}

/// `cmsgpack.unpack_limit(data, limit [, offset])`.
struct UnpackLimit;

impl HostFn for UnpackLimit {
    type Scratch = unpack::Scratch;

    fn call(lua: Stack, scratch: &mut unpack::Scratch) -> Result<c_int, Failure> {
        let limit = lua.check_integer(2)?;
        let offset = lua.opt_integer(3, 0)?;
        keep_first_argument(lua);
        unpack::unpack(lua, scratch, limit, offset)
    }
}

/// `lua_pop(L, lua_gettop(L) - 1)`: drops all arguments but the first.
fn keep_first_argument(lua: Stack) {
    lua.set_top(lua.top().min(1));
}
