//! The commands of the script running now, reachable from the `redis.*`
//! functions that are registered once in the Lua state.
//!
//! A script's commands need the engine borrowed mutably for exactly one run
//! (`run.rs`'s dispatcher). Wrapping that borrow in a new Lua function for
//! every run (mlua's `scope`) and finding it through the registry on every
//! `redis.call` cost more than a short script itself: a C closure, a
//! userdata and a protected call each time. Instead the dispatcher is lent
//! to an [`ActiveScript`] slot for the run, and `redis.call` calls it there.

use std::cell::Cell;
use std::ptr::NonNull;

use lockstep_lua::mlua::{self, Lua, Value};

use super::convert::ScriptResp;

/// A call's arguments as `redis.call` read them, or the error the script
/// gets instead of running anything.
pub(crate) type Argv = Result<Vec<Vec<u8>>, &'static str>;

/// What the running script's `redis.*` functions ask of the engine.
pub(crate) trait ScriptCommands {
    /// One `redis.call`/`redis.pcall`: the reply as Lua sees it, and
    /// whether it is an error (which `redis.call` raises).
    fn call(&mut self, lua: &Lua, resp: ScriptResp, argv: Argv) -> mlua::Result<(Value, bool)>;

    /// `redis.acl_check_cmd`: whether the script's caller may run `argv`,
    /// or the error it raises (true in the second place).
    fn acl_check(&mut self, lua: &Lua, argv: Argv) -> mlua::Result<(Value, bool)>;
}

/// The slot a running script's commands are lent to; empty between runs.
#[derive(Default)]
pub(crate) struct ActiveScript {
    /// Lent by [`ActiveScript::lend`] for the length of its body; taken out
    /// while in use, so there is never more than one reference to it.
    commands: Cell<Option<NonNull<dyn ScriptCommands>>>,
    running: Cell<bool>,
}

/// Puts back what a slot held when dropped, also when a panic unwinds.
struct Restore<'s, T: Copy> {
    slot: &'s Cell<T>,
    value: T,
}

impl<T: Copy> Drop for Restore<'_, T> {
    fn drop(&mut self) {
        self.slot.set(self.value);
    }
}

impl ActiveScript {
    /// Runs `body` (the script) with `commands` reachable through
    /// [`ActiveScript::with`].
    pub fn lend<R>(&self, commands: &mut dyn ScriptCommands, body: impl FnOnce() -> R) -> R {
        let borrowed = NonNull::from(commands);
        // SAFETY: only the lifetime bound of the trait object changes. The
        // pointer is dereferenced only by `with`, while `body` runs; `Restore`
        // empties the slot again before this function returns or unwinds,
        // so it never outlives the exclusive borrow `commands` holds.
        let erased = unsafe {
            std::mem::transmute::<NonNull<dyn ScriptCommands + '_>, NonNull<dyn ScriptCommands>>(
                borrowed,
            )
        };
        let _empty_after = Restore {
            slot: &self.commands,
            value: self.commands.replace(Some(erased)),
        };
        let _stopped_after = Restore {
            slot: &self.running,
            value: self.running.replace(true),
        };
        body()
    }

    /// Whether a script is running (`redis.call` and its kin refuse to work
    /// outside one).
    pub fn is_running(&self) -> bool {
        self.running.get()
    }

    /// Calls `f` with the running script's commands; `None` outside a
    /// script, or from inside `f` itself.
    pub fn with<R>(&self, f: impl FnOnce(&mut dyn ScriptCommands) -> R) -> Option<R> {
        let lent = self.commands.take()?;
        let _back = Restore {
            slot: &self.commands,
            value: Some(lent),
        };
        // SAFETY: `lend` put the pointer here from an exclusive borrow that
        // lasts while its body runs, and we are inside that body (the slot
        // is emptied when it ends). Taking it out of the slot meanwhile
        // means no other reference to it exists during `f`.
        Some(f(unsafe { &mut *lent.as_ptr() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u32);

    impl ScriptCommands for Counter {
        fn call(&mut self, _: &Lua, _: ScriptResp, _: Argv) -> mlua::Result<(Value, bool)> {
            self.0 += 1;
            Ok((Value::Nil, false))
        }

        fn acl_check(&mut self, _: &Lua, _: Argv) -> mlua::Result<(Value, bool)> {
            Ok((Value::Boolean(true), false))
        }
    }

    #[test]
    fn commands_are_reachable_only_while_lent_and_not_twice_at_once() {
        let lua = Lua::new();
        let active = ActiveScript::default();
        assert!(active.with(|_| ()).is_none());
        let mut counter = Counter(0);
        active.lend(&mut counter, || {
            assert!(active.is_running());
            active.with(|c| {
                c.call(&lua, ScriptResp::Two, Ok(Vec::new())).unwrap();
                assert!(active.with(|_| ()).is_none(), "no second reference");
            });
            active.with(|c| c.call(&lua, ScriptResp::Two, Ok(Vec::new())).unwrap());
        });
        assert!(!active.is_running());
        assert!(active.with(|_| ()).is_none());
        assert_eq!(counter.0, 2);
    }
}
