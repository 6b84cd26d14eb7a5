//! `cjson`: Lua CJSON 2.1.0 as Redis bundles it (`deps/lua/src/lua_cjson.c`,
//! built with `ENABLE_CJSON_GLOBAL`, glibc's `strtod` and `%.14g`).
//!
//! The module table holds `encode`, `decode`, the configuration functions
//! (`encode_sparse_array`, `encode_max_depth`, `decode_max_depth`,
//! `encode_number_precision`, `encode_keep_buffer`,
//! `encode_invalid_numbers`, `decode_invalid_numbers`), `new` (a fresh
//! module with its own configuration), `null` (a light userdata holding
//! NULL, which is what JSON `null` decodes to) and `_NAME`/`_VERSION`.
//! This version has no `decode_array_with_array_mt` and no empty-array
//! marker: `{}` always encodes as an object.
//!
//! The configuration lives in a userdata shared by the module's functions,
//! as in C, so it persists across scripts exactly as long as the state.

mod decode;
mod encode;

use std::ffi::{c_int, CStr};
use std::ptr;

use mlua::ffi;

use super::host::{push_function, Failure, HostFn};
use super::stack::{Kind, Stack};

/// The settings the configuration functions change.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
pub(super) struct Config {
    /// Encode excessively sparse arrays as objects instead of failing.
    encode_sparse_convert: c_int,
    /// 0: never reject sparse arrays; otherwise the largest index may be at
    /// most this many times the number of elements ...
    encode_sparse_ratio: c_int,
    /// ... unless it is at most this.
    encode_sparse_safe: c_int,
    encode_max_depth: c_int,
    decode_max_depth: c_int,
    /// 0: NaN and infinities are an error; 1: written as `nan`, `inf`;
    /// 2: written as `null`.
    encode_invalid_numbers: c_int,
    /// Accept `inf`, `nan`, hexadecimal and `+`-signed numbers.
    decode_invalid_numbers: c_int,
    /// Only reported back: the C version keeps its buffer between calls.
    encode_keep_buffer: c_int,
    /// Significant digits of encoded numbers (`%.14g`).
    encode_number_precision: c_int,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            encode_sparse_convert: 0,
            encode_sparse_ratio: 2,
            encode_sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: 1,
            encode_keep_buffer: 1,
            encode_number_precision: 14,
        }
    }
}

/// The configuration of the module the running function belongs to.
fn config<'a>(lua: Stack) -> Result<&'a mut Config, Failure> {
    let config = lua.state().cast::<Config>();
    if config.is_null() {
        return Err(Failure::error(format_args!(
            "BUG: Unable to fetch CJSON configuration"
        )));
    }
    // SAFETY: the module's functions carry the Config userdata created by
    // `push_module` as their state; it lives as long as they do. Nothing
    // else holds a reference while a function runs.
    Ok(unsafe { &mut *config })
}

/// Opens the library: the global `cjson`.
///
/// # Safety
/// Protected mode, no destructor pending: it allocates.
pub(crate) unsafe fn open(state: *mut ffi::lua_State) {
    push_module(state);
    ffi::lua_setglobal(state, c"cjson".as_ptr());
}

/// Pushes a module table with a fresh configuration (`lua_cjson_new`),
/// filled in the C version's order, which is what `pairs(cjson)` walks.
///
/// # Safety
/// As [`open`].
unsafe fn push_module(state: *mut ffi::lua_State) {
    ffi::lua_createtable(state, 0, 0);
    let config = ffi::lua_newuserdata(state, std::mem::size_of::<Config>()).cast::<Config>();
    ptr::write(config, Config::default());
    register::<Encode>(state, c"encode");
    register::<Decode>(state, c"decode");
    register::<EncodeSparseArray>(state, c"encode_sparse_array");
    register::<EncodeMaxDepth>(state, c"encode_max_depth");
    register::<DecodeMaxDepth>(state, c"decode_max_depth");
    register::<EncodeNumberPrecision>(state, c"encode_number_precision");
    register::<EncodeKeepBuffer>(state, c"encode_keep_buffer");
    register::<EncodeInvalidNumbers>(state, c"encode_invalid_numbers");
    register::<DecodeInvalidNumbers>(state, c"decode_invalid_numbers");
    register::<New>(state, c"new");
    ffi::lua_pop(state, 1);
    ffi::lua_pushlightuserdata(state, ptr::null_mut());
    ffi::lua_setfield(state, -2, c"null".as_ptr());
    ffi::lua_pushstring(state, c"cjson".as_ptr());
    ffi::lua_setfield(state, -2, c"_NAME".as_ptr());
    ffi::lua_pushstring(state, c"2.1.0".as_ptr());
    ffi::lua_setfield(state, -2, c"_VERSION".as_ptr());
}

/// Sets function `F`, carrying the configuration on top of the stack, in
/// the table below it.
unsafe fn register<F: HostFn>(state: *mut ffi::lua_State, name: &CStr) {
    push_function::<F>(state, Some(-1));
    ffi::lua_setfield(state, -3, name.as_ptr());
}

/// `cjson.encode(value)`.
struct Encode;

impl HostFn for Encode {
    type Scratch = encode::Scratch;

    fn call(lua: Stack, scratch: &mut encode::Scratch) -> Result<c_int, Failure> {
        let config = *config(lua)?;
        if lua.top() != 1 {
            return Err(Failure::argument(1, format_args!("expected 1 argument")));
        }
        encode::encode(lua, &config, scratch)?;
        lua.push_bytes(&scratch.json);
        Ok(1)
    }
}

/// `cjson.decode(text)`.
struct Decode;

impl HostFn for Decode {
    type Scratch = decode::Scratch;

    fn call(lua: Stack, scratch: &mut decode::Scratch) -> Result<c_int, Failure> {
        if lua.top() != 1 {
            return Err(Failure::argument(1, format_args!("expected 1 argument")));
        }
        let config = *config(lua)?;
        let text = lua.check_bytes(1)?;
        decode::decode(lua, &config, text, scratch)?;
        Ok(1)
    }
}

/// `cjson.new()`: a module table with its own configuration.
struct New;

impl HostFn for New {
    type Scratch = ();

    fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
        // SAFETY: the helper runs in protected mode and this frame holds
        // nothing with a destructor.
        unsafe { push_module(lua.raw()) };
        Ok(1)
    }
}

/// `json_arg_init`: at most `args` arguments, padded with nils.
fn arguments(lua: Stack, args: c_int) -> Result<&'static mut Config, Failure> {
    if lua.top() > args {
        return Err(Failure::argument(
            args + 1,
            format_args!("found too many arguments"),
        ));
    }
    lua.set_top(args);
    config(lua)
}

/// `json_integer_option`: sets `setting` from argument `narg` unless it is
/// nil, then pushes the setting. Range errors name argument 1 whatever
/// `narg` is, as the C code does.
fn integer_option(
    lua: Stack,
    narg: c_int,
    setting: &mut c_int,
    min: c_int,
    max: c_int,
) -> Result<(), Failure> {
    if lua.kind(narg) != Kind::Nil {
        // lua_Integer to int: C keeps the low 32 bits.
        let value = lua.check_integer(narg)? as c_int;
        if !(min <= value && value <= max) {
            return Err(Failure::argument(
                1,
                format_args!("expected integer between {min} and {max}"),
            ));
        }
        *setting = value;
    }
    lua.push_number(f64::from(*setting));
    Ok(())
}

/// `json_enum_option`: sets `setting` from argument `narg` (a boolean, or
/// one of `options` by position) unless it is nil, then pushes the setting:
/// a boolean while it is 0 or 1, else the option's name.
fn enum_option(
    lua: Stack,
    narg: c_int,
    setting: &mut c_int,
    options: &[&str],
) -> Result<(), Failure> {
    match lua.kind(narg) {
        Kind::Nil => {}
        Kind::Boolean => *setting = c_int::from(lua.boolean(narg)),
        _ => {
            let name = lua.check_c_string(narg)?;
            let Some(index) = options.iter().position(|o| o.as_bytes() == name) else {
                return Err(Failure::InvalidOption { narg });
            };
            *setting = index as c_int;
        }
    }
    match *setting {
        0 | 1 => lua.push_bool(*setting == 1),
        n => {
            let name = options.get(n as usize).copied().unwrap_or("");
            lua.push_bytes(name.as_bytes());
        }
    }
    Ok(())
}

const OFF_ON: &[&str] = &["off", "on"];

/// Declares a configuration function of one integer setting.
macro_rules! integer_setting {
    ($(#[$doc:meta])* $name:ident, $field:ident, $min:expr, $max:expr) => {
        $(#[$doc])*
        struct $name;

        impl HostFn for $name {
            type Scratch = ();

            fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
                let config = arguments(lua, 1)?;
                integer_option(lua, 1, &mut config.$field, $min, $max)?;
                Ok(1)
            }
        }
    };
}

/// Declares a configuration function of one enumerated setting.
macro_rules! enum_setting {
    ($(#[$doc:meta])* $name:ident, $field:ident, $options:expr) => {
        $(#[$doc])*
        struct $name;

        impl HostFn for $name {
            type Scratch = ();

            fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
                let config = arguments(lua, 1)?;
                enum_option(lua, 1, &mut config.$field, $options)?;
                Ok(1)
            }
        }
    };
}

integer_setting!(
    /// `cjson.encode_max_depth([depth])`.
    EncodeMaxDepth, encode_max_depth, 1, c_int::MAX
);
integer_setting!(
    /// `cjson.decode_max_depth([depth])`.
    DecodeMaxDepth, decode_max_depth, 1, c_int::MAX
);
integer_setting!(
    /// `cjson.encode_number_precision([digits])`.
    EncodeNumberPrecision, encode_number_precision, 1, 14
);
enum_setting!(
    /// `cjson.encode_keep_buffer([keep])`: a buffer strategy in C, only a
    /// flag here.
    EncodeKeepBuffer, encode_keep_buffer, OFF_ON
);
enum_setting!(
    /// `cjson.encode_invalid_numbers([setting])`: `off`, `on` or `null`.
    EncodeInvalidNumbers, encode_invalid_numbers, &["off", "on", "null"]
);
enum_setting!(
    /// `cjson.decode_invalid_numbers([setting])`.
    DecodeInvalidNumbers, decode_invalid_numbers, OFF_ON
);

/// `cjson.encode_sparse_array([convert [, ratio [, safe]]])`: the three
/// settings are updated in turn, so an error in a later argument keeps the
/// earlier ones.
struct EncodeSparseArray;

impl HostFn for EncodeSparseArray {
    type Scratch = ();

    fn call(lua: Stack, _: &mut ()) -> Result<c_int, Failure> {
        let config = arguments(lua, 3)?;
        enum_option(lua, 1, &mut config.encode_sparse_convert, OFF_ON)?;
        integer_option(lua, 2, &mut config.encode_sparse_ratio, 0, c_int::MAX)?;
        integer_option(lua, 3, &mut config.encode_sparse_safe, 0, c_int::MAX)?;
        Ok(3)
    }
}
