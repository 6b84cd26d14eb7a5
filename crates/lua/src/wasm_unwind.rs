//! Lua error handling on wasm32, built on JavaScript exceptions.
//!
//! Lua raises an error by jumping back to the innermost protected call
//! (`luaD_rawrunprotected`), normally with longjmp. WebAssembly cannot jump
//! up the stack, but a JavaScript exception thrown from an imported function
//! unwinds every wasm frame up to the JS `try` that catches it, which is the
//! same thing. `wasm/ldo_wasm.c` routes Lua's throw and try to the two
//! functions below; the JS side throws a private sentinel so that only Lua
//! errors are caught and anything else (a trap, a JS stack overflow) still
//! propagates.
//!
//! Frames skipped by the exception never run their epilogues, so the shadow
//! stack pointer (the `__stack_pointer` global that C and Rust code use for
//! frames in linear memory) is left lower than it should be. The epilogue of
//! the next enclosing frame that has one would repair it, since epilogues
//! restore from a saved copy; it is put back right at the catch anyway, so
//! that nothing runs with a wrong value in between.
//! Destructors of skipped Rust frames do not run either, exactly as with
//! longjmp natively: code calling Lua C functions that may raise must not
//! hold values with `Drop` or live `RefCell` borrows across them.

use std::ffi::{c_int, c_void};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsValue;

#[wasm_bindgen(inline_js = r#"
const LUA_ERROR = Symbol("lua error");
export function lua_protected_call(table, f, state, ud) {
    try {
        table.get(f)(state, ud);
        return true;
    } catch (e) {
        if (e === LUA_ERROR) {
            return false;
        }
        throw e;
    }
}
export function lua_raise() {
    throw LUA_ERROR;
}
"#)]
extern "C" {
    /// Calls `table[f](state, ud)` and reports whether it returned normally
    /// (`false`: a Lua error was thrown out of it).
    fn lua_protected_call(table: &JsValue, f: u32, state: u32, ud: u32) -> bool;
    /// Throws the Lua error sentinel.
    fn lua_raise();
}

extern "C" {
    /// Reads `__stack_pointer` (wasm/stack_pointer.S).
    fn lockstep_stack_pointer() -> usize;
    /// Writes `__stack_pointer` (wasm/stack_pointer.S).
    fn lockstep_set_stack_pointer(sp: usize);
}

thread_local! {
    /// The module's function table: C function pointers are indices into it.
    static FUNCTION_TABLE: JsValue = wasm_bindgen::function_table();
}

/// A function run under protection: Lua's `Pfunc`.
type ProtectedFn = unsafe extern "C" fn(*mut c_void, *mut c_void);

/// Lua's `LUAI_TRY`: runs `f(state, ud)`; returns 1 if it returned, 0 if it
/// raised a Lua error.
///
/// # Safety
/// Called only by `luaD_rawrunprotected` with a valid function and state.
#[no_mangle]
pub unsafe extern "C-unwind" fn lockstep_lua_try(
    f: ProtectedFn,
    state: *mut c_void,
    ud: *mut c_void,
) -> c_int {
    let stack_pointer = lockstep_stack_pointer();
    let returned = FUNCTION_TABLE.with(|table| {
        lua_protected_call(
            table,
            f as usize as u32,
            state as usize as u32,
            ud as usize as u32,
        )
    });
    if !returned {
        lockstep_set_stack_pointer(stack_pointer);
    }
    c_int::from(returned)
}

/// Lua's `LUAI_THROW`: unwinds to the innermost `lockstep_lua_try`.
#[no_mangle]
pub extern "C-unwind" fn lockstep_lua_throw() {
    lua_raise();
}
