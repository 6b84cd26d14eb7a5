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

/// Calls to C functions are counted with the cost given for each, by the
/// size of the first argument where asked; calls to Lua functions are not.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn call_costs_count_c_function_calls_by_their_price() {
    use lockstep_lua::{Budget, CallCost, Limits, LuaVm};

    let mut vm = LuaVm::new(Limits::default()).expect("state");
    let costs = [
        (
            "tostring",
            CallCost {
                fixed: 100,
                per_unit_ps: 0,
            },
        ),
        (
            "string.sub",
            CallCost {
                fixed: 1,
                per_unit_ps: 0,
            },
        ),
        (
            "table.concat",
            CallCost {
                fixed: 10,
                per_unit_ps: 2_000,
            },
        ),
    ];
    // Other C functions (the host's own, such as the chunk's loader) are free.
    vm.set_call_costs(&costs, 0).expect("costs set");
    /// The cost of the C calls a chunk makes.
    fn cost(vm: &mut LuaVm, code: &str) -> u64 {
        vm.run(Budget::UNLIMITED, |lua| lua.load(code).exec())
            .expect("runs");
        vm.c_calls().1
    }
    assert_eq!(
        cost(&mut vm, "for i = 1, 50 do local s = tostring(i) end"),
        5_000
    );
    assert_eq!(
        cost(
            &mut vm,
            "for i = 1, 7 do local s = string.sub('abc', 1, 2) end"
        ),
        7
    );
    // 10 + 500 elements at 2 ns.
    assert_eq!(
        cost(
            &mut vm,
            "local t = {} for i = 1, 500 do t[i] = 'x' end local s = table.concat(t)"
        ),
        1_010
    );
    assert_eq!(
        cost(
            &mut vm,
            "local function f(x) return x end for i = 1, 100 do f(i) end"
        ),
        0
    );
    assert!(vm.c_calls().0 < 100, "Lua calls are not counted");
    // A rebuilt state keeps its costs.
    vm.rebuild().expect("rebuilt");
    assert_eq!(cost(&mut vm, "local s = tostring(1)"), 100);
}

/// What counting calls costs in wall time:
/// `cargo test -p lockstep-lua --release --test vm -- --ignored --nocapture call_counting_overhead`.
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore = "a timing, not a check"]
fn call_counting_overhead() {
    use lockstep_lua::{Budget, CallCost, Limits, LuaVm};
    use std::time::Instant;

    const SCRIPTS: [(&str, &str); 3] = [
        (
            "100k Lua function calls",
            "local function f(a) return a + 1 end local s = 0 for i = 1, 100000 do s = f(s) end",
        ),
        (
            "2M loop, 100k tostring",
            "local x for i = 1, 2000000 do if i % 20 == 0 then x = tostring(i) end end",
        ),
        (
            "100k table.insert",
            "local t = {} for i = 1, 100000 do table.insert(t, i) end",
        ),
    ];
    for (name, code) in SCRIPTS {
        let best = |counting: bool| {
            let mut vm = LuaVm::new(Limits::default()).expect("state");
            if counting {
                let costs = [(
                    "tostring",
                    CallCost {
                        fixed: 300,
                        per_unit_ps: 0,
                    },
                )];
                vm.set_call_costs(&costs, 20).expect("costs set");
            }
            (0..7)
                .map(|_| {
                    let started = Instant::now();
                    vm.run(Budget::UNLIMITED, |lua| lua.load(code).exec())
                        .expect("runs");
                    started.elapsed().as_secs_f64() * 1000.0
                })
                .fold(f64::INFINITY, f64::min)
        };
        let (plain, counting) = (best(false), best(true));
        println!("{name}: {plain:.2} ms without call counting, {counting:.2} ms with");
    }
}
