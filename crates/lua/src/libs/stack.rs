//! The Lua stack of a running library function, and lauxlib's argument
//! checks (`luaL_checknumber` and friends) with their error texts.
//!
//! Methods that can raise a Lua error say so; everything they raise is an
//! allocation failure or a table index that is nil or NaN. See
//! [`super::host`] for why that matters.

use std::ffi::{c_int, c_void};
use std::ptr;

use mlua::ffi;

use super::host::Failure;
use crate::cnum;

/// Lua's value types as `lua_type` reports them, with `None` for an index
/// past the top.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    None,
    Nil,
    Boolean,
    LightUserdata,
    Number,
    String,
    Table,
    Function,
    Userdata,
    Thread,
}

impl Kind {
    /// `lua_typename`: both kinds of userdata are "userdata".
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::None => "no value",
            Kind::Nil => "nil",
            Kind::Boolean => "boolean",
            Kind::LightUserdata | Kind::Userdata => "userdata",
            Kind::Number => "number",
            Kind::String => "string",
            Kind::Table => "table",
            Kind::Function => "function",
            Kind::Thread => "thread",
        }
    }
}

/// The stack of the running library function, plus the library state its
/// closure carries (cjson's configuration).
#[derive(Clone, Copy)]
pub(crate) struct Stack {
    state: *mut ffi::lua_State,
    library_state: *mut c_void,
}

impl Stack {
    /// # Safety
    /// `state` is the thread running the current C function, and every use
    /// of the result happens while that function runs.
    pub(crate) unsafe fn new(state: *mut ffi::lua_State, library_state: *mut c_void) -> Stack {
        Stack {
            state,
            library_state,
        }
    }

    /// The state the function's closure carries (null if none).
    pub(crate) fn state(self) -> *mut c_void {
        self.library_state
    }

    pub(crate) fn raw(self) -> *mut ffi::lua_State {
        self.state
    }

    pub(crate) fn top(self) -> c_int {
        // SAFETY (all methods): `state` is the running function's, per `new`.
        unsafe { ffi::lua_gettop(self.state) }
    }

    pub(crate) fn set_top(self, index: c_int) {
        unsafe { ffi::lua_settop(self.state, index) }
    }

    pub(crate) fn pop(self, n: c_int) {
        unsafe { ffi::lua_pop(self.state, n) }
    }

    pub(crate) fn kind(self, index: c_int) -> Kind {
        match unsafe { ffi::lua_type(self.state, index) } {
            ffi::LUA_TNIL => Kind::Nil,
            ffi::LUA_TBOOLEAN => Kind::Boolean,
            ffi::LUA_TLIGHTUSERDATA => Kind::LightUserdata,
            ffi::LUA_TNUMBER => Kind::Number,
            ffi::LUA_TSTRING => Kind::String,
            ffi::LUA_TTABLE => Kind::Table,
            ffi::LUA_TFUNCTION => Kind::Function,
            ffi::LUA_TUSERDATA => Kind::Userdata,
            ffi::LUA_TTHREAD => Kind::Thread,
            _ => Kind::None,
        }
    }

    /// `lua_tonumber`: the number, or a string converted as Lua converts
    /// it; 0 for anything else.
    pub(crate) fn number(self, index: c_int) -> f64 {
        unsafe { ffi::lua_tonumber(self.state, index) }
    }

    /// `lua_isnumber`: a number, or a string Lua would convert to one.
    pub(crate) fn is_number(self, index: c_int) -> bool {
        unsafe { ffi::lua_isnumber(self.state, index) != 0 }
    }

    pub(crate) fn boolean(self, index: c_int) -> bool {
        unsafe { ffi::lua_toboolean(self.state, index) != 0 }
    }

    pub(crate) fn userdata(self, index: c_int) -> *mut c_void {
        unsafe { ffi::lua_touserdata(self.state, index) }
    }

    /// `lua_tolstring` on a value known to be a string: its bytes. They stay
    /// valid while the string is on the stack, which the caller must ensure
    /// for as long as it uses them.
    pub(crate) fn string_bytes<'a>(self, index: c_int) -> &'a [u8] {
        debug_assert_eq!(self.kind(index), Kind::String);
        let mut len = 0usize;
        unsafe {
            let data = ffi::lua_tolstring(self.state, index, &mut len);
            if data.is_null() {
                return &[];
            }
            std::slice::from_raw_parts(data.cast::<u8>(), len)
        }
    }

    /// `lua_objlen`: a string's length, a table's border.
    pub(crate) fn len(self, index: c_int) -> usize {
        unsafe { ffi::lua_objlen(self.state, index) }
    }

    /// `lua_checkstack`: room for `extra` more values, within Lua's limit
    /// of 8000 per function call. May raise: growing the stack allocates.
    pub(crate) fn check_stack(self, extra: c_int) -> bool {
        unsafe { ffi::lua_checkstack(self.state, extra) != 0 }
    }

    pub(crate) fn push_nil(self) {
        unsafe { ffi::lua_pushnil(self.state) }
    }

    pub(crate) fn push_number(self, n: f64) {
        unsafe { ffi::lua_pushnumber(self.state, n) }
    }

    pub(crate) fn push_bool(self, b: bool) {
        unsafe { ffi::lua_pushboolean(self.state, c_int::from(b)) }
    }

    /// Pushes a light userdata holding a null pointer: `cjson.null`.
    pub(crate) fn push_null(self) {
        unsafe { ffi::lua_pushlightuserdata(self.state, ptr::null_mut()) }
    }

    pub(crate) fn push_value(self, index: c_int) {
        unsafe { ffi::lua_pushvalue(self.state, index) }
    }

    pub(crate) fn insert(self, index: c_int) {
        unsafe { ffi::lua_insert(self.state, index) }
    }

    /// May raise: the string is allocated.
    pub(crate) fn push_bytes(self, bytes: &[u8]) {
        unsafe { ffi::lua_pushlstring_(self.state, bytes.as_ptr().cast(), bytes.len()) }
    }

    /// `lua_concat` of the `n` values on top (strings). May raise.
    pub(crate) fn concat(self, n: c_int) {
        unsafe { ffi::lua_concat(self.state, n) }
    }

    /// `lua_newtable`. May raise.
    pub(crate) fn new_table(self) {
        unsafe { ffi::lua_createtable(self.state, 0, 0) }
    }

    /// `lua_rawgeti`.
    pub(crate) fn raw_get_index(self, table: c_int, n: c_int) {
        unsafe { ffi::lua_rawgeti_(self.state, table, n) }
    }

    /// `lua_rawseti`: pops the value. May raise (the table grows).
    pub(crate) fn raw_set_index(self, table: c_int, n: c_int) {
        unsafe { ffi::lua_rawseti_(self.state, table, n) }
    }

    /// `lua_rawset`: pops the key and the value. May raise (the table
    /// grows; the key is nil or NaN).
    pub(crate) fn raw_set(self, table: c_int) {
        unsafe { ffi::lua_rawset(self.state, table) }
    }

    /// `lua_settable` on a table without a metatable: as `raw_set`.
    pub(crate) fn set_table(self, table: c_int) {
        unsafe { ffi::lua_settable(self.state, table) }
    }

    /// `lua_next`: pops a key and pushes the next key and value, or pushes
    /// nothing at the end. Raises only for a key not in the table, which
    /// the libraries never pass.
    pub(crate) fn next(self, table: c_int) -> bool {
        unsafe { ffi::lua_next(self.state, table) != 0 }
    }

    /// `luaL_checknumber`.
    pub(crate) fn check_number(self, narg: c_int) -> Result<f64, Failure> {
        let n = self.number(narg);
        if n == 0.0 && !self.is_number(narg) {
            return Err(Failure::type_error(self, narg, "number"));
        }
        Ok(n)
    }

    /// `luaL_checkinteger`, with `lua_Integer` as wide as on Redis's 64-bit
    /// builds.
    pub(crate) fn check_integer(self, narg: c_int) -> Result<i64, Failure> {
        let n = cnum::double_to_i64(self.number(narg));
        if n == 0 && !self.is_number(narg) {
            return Err(Failure::type_error(self, narg, "number"));
        }
        Ok(n)
    }

    /// `luaL_optinteger`.
    pub(crate) fn opt_integer(self, narg: c_int, default: i64) -> Result<i64, Failure> {
        match self.kind(narg) {
            Kind::None | Kind::Nil => Ok(default),
            _ => self.check_integer(narg),
        }
    }

    /// `luaL_checklstring`: a string, or a number turned into one in place.
    /// The bytes are valid while the argument stays on the stack. May raise
    /// (converting a number allocates).
    pub(crate) fn check_bytes<'a>(self, narg: c_int) -> Result<&'a [u8], Failure> {
        match self.kind(narg) {
            Kind::String => Ok(self.string_bytes(narg)),
            Kind::Number => {
                // SAFETY: converts the argument slot in place, as lauxlib does.
                unsafe { ffi::lua_tolstring(self.state, narg, ptr::null_mut()) };
                Ok(self.string_bytes(narg))
            }
            _ => Err(Failure::type_error(self, narg, "string")),
        }
    }

    /// `luaL_checkstring` for a C string: the bytes up to the first NUL.
    pub(crate) fn check_c_string<'a>(self, narg: c_int) -> Result<&'a [u8], Failure> {
        let bytes = self.check_bytes(narg)?;
        Ok(match bytes.iter().position(|&b| b == 0) {
            Some(nul) => &bytes[..nul],
            None => bytes,
        })
    }
}
