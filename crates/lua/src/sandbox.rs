//! What every state gets before its first script: no file access, and no
//! loading of precompiled bytecode.
//!
//! Lua 5.1 trusts bytecode, and malformed bytecode can corrupt the
//! interpreter's memory. Redis closes this by always running the text parser
//! (its `f_parser` never calls `luaU_undump`), so a binary chunk fails as a
//! syntax error: `unexpected symbol near 'char(27)'`. The Lua sources here are
//! the pristine release (and natively they are mlua's), so the same effect
//! comes from replacing `loadstring` and `load` with copies of
//! `luaB_loadstring` and `luaB_load` whose readers hand the parser one space
//! before the chunk. `lua_load` picks text or binary from the first byte,
//! and a leading space changes neither line numbers nor error messages.
//! `dofile` and `loadfile` are removed, as Redis does.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;

use mlua::{ffi, Lua};

/// Installs the sandbox into `lua`'s globals.
pub(crate) fn apply(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.raw_set("dofile", mlua::Nil)?;
    globals.raw_set("loadfile", mlua::Nil)?;
    // SAFETY: both functions follow the Lua C API contract and keep nothing
    // with a destructor alive across calls that may raise.
    let (loadstring, load) = unsafe {
        (
            lua.create_c_function(text_loadstring)?,
            lua.create_c_function(text_load)?,
        )
    };
    globals.raw_set("loadstring", loadstring)?;
    globals.raw_set("load", load)
}

/// The leading byte that makes `lua_load` choose the text parser.
const SPACE: &[u8] = b" ";

/// Reader state for `loadstring`: the space, then the whole string.
struct StringReader {
    pieces: [(*const c_char, usize); 2],
    next: usize,
}

unsafe extern "C-unwind" fn read_string(
    _state: *mut ffi::lua_State,
    ud: *mut c_void,
    size: *mut usize,
) -> *const c_char {
    let reader = &mut *(ud as *mut StringReader);
    match reader.pieces.get(reader.next) {
        Some(&(data, len)) => {
            reader.next += 1;
            *size = len;
            data
        }
        None => {
            *size = 0;
            ptr::null()
        }
    }
}

/// `loadstring(string [, chunkname])`, as in Lua 5.1's lbaselib.c.
unsafe extern "C-unwind" fn text_loadstring(state: *mut ffi::lua_State) -> c_int {
    let mut len = 0usize;
    let chunk = ffi::luaL_checklstring(state, 1, &mut len);
    let chunkname = ffi::luaL_optlstring(state, 2, chunk, ptr::null_mut());
    let mut reader = StringReader {
        pieces: [(SPACE.as_ptr().cast(), SPACE.len()), (chunk, len)],
        next: 0,
    };
    let status = ffi::lua_load(
        state,
        read_string,
        ptr::addr_of_mut!(reader).cast(),
        chunkname,
    );
    load_result(state, status)
}

/// Reader for `load`: the space first, then the pieces the function at
/// stack index 1 returns, each kept alive in the reserved slot 3.
unsafe extern "C-unwind" fn read_function(
    state: *mut ffi::lua_State,
    ud: *mut c_void,
    size: *mut usize,
) -> *const c_char {
    let started = &mut *(ud as *mut bool);
    if !*started {
        *started = true;
        *size = SPACE.len();
        return SPACE.as_ptr().cast();
    }
    if ffi::lua_checkstack(state, 2) == 0 {
        ffi::luaL_error(
            state,
            c"stack overflow (%s)".as_ptr(),
            c"too many nested functions".as_ptr(),
        );
    }
    ffi::lua_pushvalue(state, 1);
    ffi::lua_call(state, 0, 1);
    if ffi::lua_isnil(state, -1) != 0 {
        *size = 0;
        return ptr::null();
    }
    if ffi::lua_isstring(state, -1) != 0 {
        ffi::lua_replace(state, 3);
        return ffi::lua_tolstring(state, 3, size);
    }
    ffi::luaL_error(state, c"reader function must return a string".as_ptr());
    ptr::null()
}

/// `load(func [, chunkname])`, as in Lua 5.1's lbaselib.c.
unsafe extern "C-unwind" fn text_load(state: *mut ffi::lua_State) -> c_int {
    let chunkname = ffi::luaL_optlstring(state, 2, c"=(load)".as_ptr(), ptr::null_mut());
    ffi::luaL_checktype(state, 1, ffi::LUA_TFUNCTION);
    ffi::lua_settop(state, 3);
    let mut started = false;
    let status = ffi::lua_load(
        state,
        read_function,
        ptr::addr_of_mut!(started).cast(),
        chunkname,
    );
    load_result(state, status)
}

/// The function, or nil and the error message.
unsafe fn load_result(state: *mut ffi::lua_State, status: c_int) -> c_int {
    if status == 0 {
        return 1;
    }
    ffi::lua_pushnil(state);
    ffi::lua_insert(state, -2);
    2
}
