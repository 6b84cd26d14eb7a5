//! The same cases, natively and (under Node) on wasm32; see `cases/mod.rs`.

#[macro_use]
mod cases;

#[cfg(not(target_arch = "wasm32"))]
shared_tests!(test);

#[cfg(target_arch = "wasm32")]
shared_tests!(wasm_bindgen_test::wasm_bindgen_test);

/// A checkpoint that panics poisons the state (natively only: wasm32 builds
/// abort on panic).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn panicking_checkpoint_poisons_and_rebuild_recovers() {
    use lockstep_lua::{Budget, Limits, LuaVm, RunError};

    let mut vm = LuaVm::new(Limits::default()).expect("state");
    vm.set_checkpoint(|_| panic!("host bug"));
    let error = vm
        .run(Budget::UNLIMITED, |lua| {
            lua.load("while true do end").exec()
        })
        .expect_err("stopped");
    assert!(matches!(error, RunError::Stopped(_)), "{error:?}");
    assert!(vm.is_poisoned());
    let error = vm
        .run(Budget::UNLIMITED, |lua| lua.load("return 1").exec())
        .expect_err("poisoned");
    assert!(matches!(error, RunError::Poisoned), "{error:?}");
    vm.clear_checkpoint();
    vm.rebuild().expect("rebuilt");
    assert!(!vm.is_poisoned());
    let two: i32 = vm
        .run(Budget::UNLIMITED, |lua| lua.load("return 1 + 1").eval())
        .expect("runs");
    assert_eq!(two, 2);
}

/// Lua errors on wasm32 unwind as JS exceptions, which skip the epilogues
/// that would restore the shadow stack pointer. After many caught errors it
/// must be exactly where it was.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test::wasm_bindgen_test]
fn errors_leave_the_shadow_stack_pointer_in_place() {
    use lockstep_lua::{Budget, Limits, LuaVm};

    extern "C" {
        fn lockstep_stack_pointer() -> usize;
    }

    let mut vm = LuaVm::new(Limits::default()).expect("state");
    let fail = |vm: &mut LuaVm| {
        vm.run(Budget::UNLIMITED, |lua| {
            lua.load("local t = nil return t.x").exec()
        })
        .expect_err("raises");
    };
    fail(&mut vm);
    // SAFETY: reads a wasm global.
    let before = unsafe { lockstep_stack_pointer() };
    for _ in 0..10_000 {
        fail(&mut vm);
    }
    let after = unsafe { lockstep_stack_pointer() };
    assert_eq!(before, after);
}
