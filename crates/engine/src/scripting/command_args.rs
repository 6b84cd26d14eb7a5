//! The arguments of `redis.call` / `redis.pcall`, read straight off the Lua
//! stack.
//!
//! A script may call a command with as many arguments as Lua's stack holds
//! (`redis.call('lpush', 'l', unpack(t))` with 7,999 elements works in
//! Redis). Taking them as a `MultiValue` would hold one Lua reference per
//! argument and refuse past a few thousand ("out of Lua stack"), and the
//! arguments left on the stack would leave no room for the reply. So they
//! are copied out as bytes, one at a time, and popped before the command
//! runs.

use std::ffi::c_int;

use lockstep_lua::mlua::state::RawLua;
use lockstep_lua::mlua::{self, ffi, Lua, MultiValue, Value};

use crate::numbers::format_g;

/// What `luaArgsToRedisArgv` makes of a call's arguments: the command's
/// argv, or the error the script gets instead of running anything.
pub(crate) struct CommandArgs(pub Result<Vec<Vec<u8>>, &'static str>);

/// The arguments of `redis.acl_check_cmd`: the command to check, which is
/// not run.
pub(crate) struct AclCheck(pub CommandArgs);

impl mlua::FromLuaMulti for AclCheck {
    fn from_lua_multi(values: MultiValue, lua: &Lua) -> mlua::Result<Self> {
        CommandArgs::from_lua_multi(values, lua).map(AclCheck)
    }

    unsafe fn from_stack_args(
        nargs: c_int,
        i: usize,
        to: Option<&str>,
        lua: &RawLua,
    ) -> mlua::Result<Self> {
        CommandArgs::from_stack_args(nargs, i, to, lua).map(AclCheck)
    }
}

const NO_ARGUMENTS: &str = "ERR Please specify at least one argument for this redis lib call";
const BAD_ARGUMENT: &str = "ERR Lua redis lib command arguments must be strings or integers";

thread_local! {
    /// Arguments given as numbers since the last [`take_number_arguments`]:
    /// each costs Redis a `%.17g` formatting (the cost model charges it).
    static NUMBER_ARGUMENTS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many arguments were numbers since the last call, and start again.
pub(crate) fn take_number_arguments() -> u64 {
    NUMBER_ARGUMENTS.with(|n| n.replace(0))
}

/// Numbers become `%.17g`, as Redis formats them for a command.
fn number_argument(n: f64) -> Vec<u8> {
    NUMBER_ARGUMENTS.with(|count| count.set(count.get() + 1));
    format_g(n, 17).into_bytes()
}

impl mlua::FromLuaMulti for CommandArgs {
    fn from_lua_multi(values: MultiValue, _lua: &Lua) -> mlua::Result<Self> {
        if values.is_empty() {
            return Ok(CommandArgs(Err(NO_ARGUMENTS)));
        }
        let argv = values
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.as_bytes().to_vec()),
                Value::Number(n) => Ok(number_argument(n)),
                Value::Integer(i) => Ok(number_argument(i as f64)),
                _ => Err(BAD_ARGUMENT),
            })
            .collect();
        Ok(CommandArgs(argv))
    }

    unsafe fn from_stack_args(
        nargs: c_int,
        _i: usize,
        _to: Option<&str>,
        lua: &RawLua,
    ) -> mlua::Result<Self> {
        let state = lua.state();
        let mut argv = Ok(Vec::with_capacity(nargs.max(0) as usize));
        if nargs <= 0 {
            argv = Err(NO_ARGUMENTS);
        }
        for index in -nargs..0 {
            let Ok(list) = &mut argv else { break };
            // SAFETY: `index` lies within the `nargs` arguments Lua passed
            // this C function; neither call below allocates or raises for a
            // string or a number.
            match ffi::lua_type(state, index) {
                ffi::LUA_TSTRING => {
                    let mut len = 0usize;
                    let bytes = ffi::lua_tolstring(state, index, &mut len);
                    list.push(std::slice::from_raw_parts(bytes.cast::<u8>(), len).to_vec());
                }
                ffi::LUA_TNUMBER => list.push(number_argument(ffi::lua_tonumber(state, index))),
                _ => argv = Err(BAD_ARGUMENT),
            }
        }
        if nargs > 0 {
            // The copies are made: free the stack for the reply.
            ffi::lua_settop(state, -nargs - 1);
        }
        Ok(CommandArgs(argv))
    }
}
