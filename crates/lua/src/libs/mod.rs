//! The libraries Redis 7.0 gives scripts besides Lua's own: `cjson`, `bit`,
//! `struct` and `cmsgpack`, reimplemented to behave byte for byte like the
//! C versions Redis bundles (`deps/lua/src/lua_cjson.c`, `lua_bit.c`,
//! `lua_struct.c`, `lua_cmsgpack.c`): the same output bytes, the same
//! choices (number formats, array or map, sparse arrays), the same limits
//! and the same error messages, down to the function name and script
//! position in `user_script:1: bad argument #1 to 'tobit' (...)`.
//!
//! Where the C code relies on platform behaviour (casting an out-of-range
//! double to an integer, `long` being 64 bits, `printf`'s `%.14g`), the
//! result is what Redis gives on x86-64 Linux, on every target.
//!
//! `tests/libs/*.cases` hold the scripts and what a real Redis 7.0 answers
//! to them.
//!
//! What differs, and why it cannot be seen in practice:
//! - Each call goes through one extra `lua_pcall` (see [`host`]), so a
//!   script already nested 199 C calls deep (the `LUAI_MAXCCALLS` limit,
//!   e.g. through 199 nested `pcall`s) gets "C stack overflow" one level
//!   sooner than in Redis.
//! - Working buffers are Rust memory, where the C versions use `malloc`
//!   (cjson) or Lua's allocator (cmsgpack), so under a Lua memory cap the
//!   "not enough memory" error can come at a slightly different size.
//!   Redis itself sets no cap.
//! - `cjson.decode('nan(123)')` gives a NaN without glibc's payload bits.
//! - `cjson.encode_keep_buffer` only records its setting: the buffer it
//!   keeps in C is an optimisation.

mod bit;
mod cjson;
mod cmsgpack;
mod host;
mod stack;
mod structlib;

use mlua::Lua;

/// Sets the globals `cjson`, `struct`, `cmsgpack` and `bit` in `lua`, as
/// Redis's scripting does when it creates its Lua state.
pub fn install(lua: &Lua) -> mlua::Result<()> {
    // SAFETY: exec_raw runs the closure in protected mode; the openers only
    // push and set values and hold nothing with a destructor.
    unsafe {
        lua.exec_raw::<()>((), |state| {
            cjson::open(state);
            structlib::open(state);
            cmsgpack::open(state);
            bit::open(state);
        })
    }
}
