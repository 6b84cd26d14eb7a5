//! Calling a script body the way Redis does, keeping its error value.
//!
//! mlua's `Function::call` runs Lua with a message handler that turns every
//! error into a string and appends a stack traceback. Redis instead hands
//! back what the script raised: the message with its `user_script:1:`
//! position and nothing more, or the table passed to `error()` (Redis
//! scripts use `error({err = "..."})` to reply with an error). Calling
//! through Lua's own `pcall` keeps that value. The `pcall` used is the one
//! the state started with, saved where scripts cannot replace it.

use mlua::{Function, IntoLuaMulti, Lua, MultiValue, Value};

/// Registry name of the state's original `pcall`.
const PCALL: &str = "lockstep_lua.pcall";

/// Saves the state's `pcall` for [`protected_call`].
pub(crate) fn install(lua: &Lua) -> mlua::Result<()> {
    let pcall: Function = lua.globals().raw_get("pcall")?;
    lua.set_named_registry_value(PCALL, pcall)
}

/// Calls `function` with `args` inside Lua's `pcall`.
///
/// `Ok(Ok(values))`: it returned. `Ok(Err(value))`: it raised `value`, as
/// the script would see it in `pcall`. `Err(_)`: the call could not be made,
/// or an error no script may catch (a watchdog stop) passed through.
pub fn protected_call(
    lua: &Lua,
    function: &Function,
    args: impl IntoLuaMulti,
) -> mlua::Result<Result<MultiValue, Value>> {
    let pcall: Function = lua.named_registry_value(PCALL)?;
    let mut results: MultiValue = pcall.call((function.clone(), args))?;
    match results.pop_front() {
        Some(Value::Boolean(true)) => Ok(Ok(results)),
        _ => Ok(Err(results.pop_front().unwrap_or(Value::Nil))),
    }
}
