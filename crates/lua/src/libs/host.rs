//! How the library functions are called: Lua's C calling convention, with
//! Rust kept out of the way of Lua errors.
//!
//! The functions are `lua_CFunction`s, as the C originals are, rather than
//! mlua callbacks, because scripts must observe the same things:
//! - Errors are plain strings raised the way lauxlib raises them. In
//!   `bad argument #1 to 'tobit' (...)` the name is how the caller spelt the
//!   function (`luaL_argerror` inspects the call site: `'?'` under `pcall`,
//!   `'f'` for a local `f`), and `luaL_error` prefixes the caller's position
//!   (`user_script:1: `). mlua callbacks raise userdata error objects with
//!   text of their own.
//! - Values are built on the Lua stack, as in C, so the limits that come
//!   from it (`lua_checkstack`'s 8000 slots: nesting depth, number of
//!   results) fall exactly where they fall in Redis. mlua references live on
//!   a stack with the same cap and panic when it is full.
//!
//! A Lua error unwinds like longjmp and skips Rust destructors. So each
//! function runs in two frames:
//! - [`entry`], the function Lua calls, owns the Rust working memory (the
//!   function's [`HostFn::Scratch`]) and runs [`helper`] through
//!   `lua_pcall`. Once the helper is done and the scratch is dropped, it
//!   returns the results or raises the error, with no destructor pending.
//! - [`helper`] runs the body. A body reports failure by returning a
//!   [`Failure`], which is plain data. Anything it calls that may raise (in
//!   practice: running out of memory) unwinds only as far as the entry's
//!   `lua_pcall`, and the body holds nothing with a destructor while doing
//!   so: what it allocates lives in the scratch.
//!
//! The helper is the first upvalue of each function's closure: pushing a C
//! function allocates, which the entry must not do while it owns the
//! scratch.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::ptr;

use mlua::ffi;

use super::stack::Stack;

/// A library function: the body run by [`helper`].
pub(crate) trait HostFn {
    /// Rust-owned working memory for one call (buffers, explicit stacks).
    type Scratch: Default;

    /// Runs the function on `lua`, whose stack holds the arguments at
    /// `1..=top`. Returns how many values on top of the stack are results.
    ///
    /// Runs in protected mode: the [`Stack`] methods documented as raising
    /// unwind to the entry. Between such calls the body must hold no value
    /// with a destructor; keep allocations in `scratch`.
    fn call(lua: Stack, scratch: &mut Self::Scratch) -> Result<c_int, Failure>;
}

/// Why a library function fails, raised by the entry in lauxlib's words.
/// Plain data, so that it can cross the protected call.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Failure {
    /// `luaL_argerror(L, narg, message)`: `bad argument #narg to 'name'
    /// (message)`.
    Argument { narg: c_int, message: Message },
    /// `luaL_checkoption`'s `invalid option '<argument narg>'`, raised as an
    /// argument error. The argument's own bytes are quoted, as far as the
    /// first NUL, as C's `%s` does.
    InvalidOption { narg: c_int },
    /// `luaL_error(L, message)`: the caller's position, then the message.
    Error(Message),
}

impl Failure {
    pub(crate) fn argument(narg: c_int, message: fmt::Arguments<'_>) -> Failure {
        Failure::Argument {
            narg,
            message: Message::format(message),
        }
    }

    pub(crate) fn error(message: fmt::Arguments<'_>) -> Failure {
        Failure::Error(Message::format(message))
    }

    /// `luaL_typerror`: `<expected> expected, got <type of argument narg>`.
    pub(crate) fn type_error(lua: Stack, narg: c_int, expected: &str) -> Failure {
        let got = lua.kind(narg).name();
        Failure::argument(narg, format_args!("{expected} expected, got {got}"))
    }
}

/// Longest message a [`Failure`] carries. Every message the libraries raise
/// is a fixed text with numbers, type names or single characters in it (the
/// longest, cjson's "Expected comma or object end but found invalid unicode
/// escape code at character N", is 100 bytes with a 20-digit N); the only
/// one that quotes script data is [`Failure::InvalidOption`].
const MESSAGE_CAPACITY: usize = 104;

/// An error message held inline, so that a [`Failure`] needs no allocation
/// and has no destructor.
#[derive(Clone, Copy)]
pub(crate) struct Message {
    bytes: [u8; MESSAGE_CAPACITY],
    len: u8,
}

impl Message {
    const EMPTY: Message = Message {
        bytes: [0; MESSAGE_CAPACITY],
        len: 0,
    };

    pub(crate) fn format(arguments: fmt::Arguments<'_>) -> Message {
        let mut message = Message::EMPTY;
        // Only a too-long message fails, and it is then cut short.
        let _ = fmt::write(&mut message, arguments);
        message
    }

    /// A message made of raw bytes (which `format` cannot take: C's `%c`
    /// copies any byte).
    pub(crate) fn concat(parts: &[&[u8]]) -> Message {
        let mut message = Message::EMPTY;
        for part in parts {
            message.append(part);
        }
        message
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Appends what fits; false if `bytes` had to be cut.
    fn append(&mut self, bytes: &[u8]) -> bool {
        let len = usize::from(self.len);
        let take = bytes.len().min(MESSAGE_CAPACITY - len);
        self.bytes[len..len + take].copy_from_slice(&bytes[..take]);
        // At most MESSAGE_CAPACITY, which fits in a u8.
        self.len = (len + take) as u8;
        take == bytes.len()
    }
}

impl fmt::Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.append(s.as_bytes()) {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// What the helper reports back to the entry, besides the values it leaves
/// on the stack. Lives in the entry's frame for the duration of one call.
struct Call {
    /// The `F::Scratch` owned by the entry.
    scratch: *mut c_void,
    /// The entry's second upvalue, if it is a userdata (library state such
    /// as cjson's configuration); null otherwise.
    state: *mut c_void,
    /// Set when the body failed; its message is then the helper's result.
    failure: Option<Failure>,
}

/// Pushes library function `F` as a closure with its helper as upvalue 1
/// and, if given, the value at `state_index` as upvalue 2 (handed to the
/// body as [`Stack::state`]).
///
/// May raise (allocation): call it only in protected mode with no
/// destructor pending.
pub(crate) unsafe fn push_function<F: HostFn>(
    state: *mut ffi::lua_State,
    state_index: Option<c_int>,
) {
    let state_index = state_index.map(|index| ffi::lua_absindex(state, index));
    ffi::lua_pushcclosure(state, helper::<F>, 0);
    match state_index {
        Some(index) => {
            ffi::lua_pushvalue(state, index);
            ffi::lua_pushcclosure(state, entry::<F>, 2);
        }
        None => ffi::lua_pushcclosure(state, entry::<F>, 1),
    }
}

/// What the entry does once the helper has returned and the Rust working
/// memory is gone.
enum Outcome {
    Return(c_int),
    /// The helper raised a Lua error (out of memory, or a table index that
    /// is nil or NaN); it is on top of the stack with its status.
    Rethrow(c_int),
    /// Raise the [`Failure::Argument`] whose message is on top of the stack.
    Argument(c_int),
    /// Raise the [`Failure::Error`] whose message is on top of the stack.
    Error,
}

/// The function Lua calls. Raises only from this frame, where nothing has a
/// destructor.
unsafe extern "C-unwind" fn entry<F: HostFn>(state: *mut ffi::lua_State) -> c_int {
    match run_helper::<F>(state) {
        Outcome::Return(results) => results,
        Outcome::Rethrow(status) => rethrow(state, status),
        Outcome::Argument(narg) => ffi::luaL_argerror(state, narg, ffi::lua_tostring(state, -1)),
        Outcome::Error => {
            ffi::luaL_where(state, 1);
            ffi::lua_insert(state, -2);
            ffi::lua_concat(state, 2);
            ffi::lua_error(state)
        }
    }
}

/// Calls the helper with the arguments under `lua_pcall`; every Rust value
/// this frame owns is dropped when it returns.
unsafe fn run_helper<F: HostFn>(state: *mut ffi::lua_State) -> Outcome {
    let mut scratch = F::Scratch::default();
    let mut call = Call {
        scratch: ptr::addr_of_mut!(scratch).cast(),
        state: ffi::lua_touserdata(state, ffi::lua_upvalueindex(2)),
        failure: None,
    };
    let nargs = ffi::lua_gettop(state);
    // A C function starts with LUA_MINSTACK free slots; these use two and
    // allocate nothing.
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_pushlightuserdata(state, ptr::addr_of_mut!(call).cast());
    ffi::lua_insert(state, 2);
    let status = ffi::lua_pcall(state, nargs + 1, ffi::LUA_MULTRET, 0);
    if status != 0 {
        return Outcome::Rethrow(status);
    }
    match call.failure {
        None => Outcome::Return(ffi::lua_gettop(state)),
        Some(Failure::Argument { narg, .. } | Failure::InvalidOption { narg }) => {
            Outcome::Argument(narg)
        }
        Some(Failure::Error(_)) => Outcome::Error,
    }
}

/// Runs `F`'s body with the stack as the entry received it. On failure its
/// only result is the message.
unsafe extern "C-unwind" fn helper<F: HostFn>(state: *mut ffi::lua_State) -> c_int {
    let call = ffi::lua_touserdata(state, 1).cast::<Call>();
    ffi::lua_remove(state, 1);
    // SAFETY: the entry passed its own `Call` and `F::Scratch`, both alive
    // until lua_pcall returns.
    let scratch = &mut *(*call).scratch.cast::<F::Scratch>();
    let lua = Stack::new(state, (*call).state);
    // A panic is a bug here, but it must not unwind through Lua's C frames.
    // Where panics unwind (natively), the script gets an error instead.
    let outcome =
        panic::catch_unwind(AssertUnwindSafe(|| F::call(lua, scratch))).unwrap_or_else(|_| {
            Err(Failure::error(format_args!(
                "internal error in a library function"
            )))
        });
    match outcome {
        Ok(results) => results,
        Err(failure) => {
            (*call).failure = Some(failure);
            match failure {
                Failure::Argument { message, .. } | Failure::Error(message) => {
                    // The body may have filled the stack (that may be the
                    // failure); what it pushed is of no use now.
                    lua.set_top(0);
                    lua.push_bytes(message.as_bytes());
                }
                Failure::InvalidOption { narg } => {
                    let name = ffi::lua_tostring(state, narg);
                    ffi::lua_pushfstring(state, c"invalid option '%s'".as_ptr(), name);
                }
            }
            1
        }
    }
}

/// Raises again the error a protected call returned with `status`.
///
/// `lua_error` always raises with a runtime-error status, so a memory error
/// would reach the host as a runtime error whose text is "not enough
/// memory". Asking for more memory than can exist raises a real one instead:
/// Lua's allocator refuses any block over `isize::MAX` bytes.
unsafe fn rethrow(state: *mut ffi::lua_State, status: c_int) -> ! {
    if status == ffi::LUA_ERRMEM {
        ffi::lua_newuserdata(state, isize::MAX.unsigned_abs() + 1);
    }
    ffi::lua_error(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_messages_fit() {
        let longest = Message::format(format_args!(
            "Expected {} but found {} at character {}",
            "comma or object end",
            "invalid unicode escape code",
            u64::MAX
        ));
        assert_eq!(longest.as_bytes().len(), 100);
        let stack = Message::format(format_args!(
            "stack overflow (too many return values at once; \
             use unpack_one or unpack_limit instead.)"
        ));
        assert!(stack.as_bytes().ends_with(b"instead.)"));
        let cut = Message::format(format_args!("{}", "x".repeat(200)));
        assert_eq!(cut.as_bytes().len(), MESSAGE_CAPACITY);
    }
}
